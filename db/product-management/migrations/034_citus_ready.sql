-- Ready for Citus (issue 24): nothing Citus would refuse when distributing by instance_id
-- (postgres/citus_test.go lists the rules and the tables that are not distributed).
--
-- The rollout shims of migrations 025 and 027 go: every version since sets product_created_at
-- and the event's position itself, and a trigger on a distributed table runs on the shard,
-- where looking up another table (products) is a query across nodes.
drop trigger if exists product_translations_created on product_translations;
drop function if exists product_translation_created();
drop trigger if exists events_position on events;
drop function if exists event_position();

-- The single dispatch cursor (a stored transaction id, node-local under Citus) was emptied by
-- migration 027 when each instance got its own (webhook_dispatched); the backlog metric read it
-- still, and so reported no age. It reads webhook_dispatched now; the table stays while the
-- previous version, whose metric reads it, may run beside this one (a later migration drops it).

-- An event's id is unique with its instance: a unique index without the distribution column is
-- one Citus cannot keep across shards. Reads by id name the instance too.
create unique index if not exists events_instance_id on events (instance_id, id);
drop index if exists events_id;
