-- Each organization's feed numbers its events 1, 2, 3, ... in commit order (pkg/eventfeed): a
-- change adds its events' count to their organizations' heads at its very end and holds the heads'
-- row locks until it commits. The feed no longer reads below the server's oldest running
-- transaction, which any long transaction anywhere on the server held back.
create table organization_event_heads (
    organization_id uuid primary key,
    position        bigint not null  -- the number of the organization's newest event
);

alter table organization_events add column position bigint;
update organization_events e set position = n.position
from (select organization_id, tx_id, seq, row_number() over (partition by organization_id order by tx_id, seq) as position
      from organization_events) n
where e.organization_id = n.organization_id and e.tx_id = n.tx_id and e.seq = n.seq;
insert into organization_event_heads (organization_id, position)
select organization_id, max(position) from organization_events group by organization_id;

-- The previous version, still serving during a rollout, inserts events without a number: a
-- trigger takes it from the head then (under the same row lock, held until that commit).
create function organization_event_position() returns trigger language plpgsql as $$
begin
    insert into organization_event_heads as h (organization_id, position) values (new.organization_id, 1)
    on conflict (organization_id) do update set position = h.position + 1
    returning position into new.position;
    return new;
end
$$;
create trigger organization_events_position before insert on organization_events
    for each row when (new.position is null) execute function organization_event_position();

alter table organization_events alter column position set not null;
alter table organization_events drop constraint organization_events_pkey;
alter table organization_events add primary key (organization_id, position);
-- tx_id and seq stay: a cursor of the earlier order is resolved through them, and the previous
-- version reads them during a rollout. A later migration may drop them.
