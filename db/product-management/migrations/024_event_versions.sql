-- A resource's events count on from its last version even after that event expired: the count
-- lives here, not in the events kept (RecordEvents adds to it in the change's transaction).
create table event_resource_versions (
    instance_id uuid not null,
    resource    text not null,
    version     bigint not null,
    primary key (instance_id, resource)
);
insert into event_resource_versions (instance_id, resource, version)
select instance_id, resource, max(resource_version) from events group by instance_id, resource;

-- webhook_queue_depth counts the pending deliveries on every scrape: an index of only those.
create index webhook_deliveries_pending on webhook_deliveries (instance_id) where status = 'pending';
