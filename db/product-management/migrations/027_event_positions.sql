-- Each instance's feed numbers its events 1, 2, 3, ... in commit order (pkg/eventfeed): a change
-- adds its events' count to its instance's head at its very end and holds the head's row lock
-- until it commits. The feed no longer reads below the server's oldest running transaction, which
-- any long transaction anywhere on the server held back (a 30 s writer in another database
-- delayed every feed by 29 s).
create table event_heads (
    instance_id uuid primary key,
    position    bigint not null      -- the number of the instance's newest event
);

alter table events add column position bigint;
-- The events kept so far, numbered in the order the feed listed them.
update events e set position = n.position
from (select instance_id, tx_id, seq, row_number() over (partition by instance_id order by tx_id, seq) as position from events) n
where e.instance_id = n.instance_id and e.tx_id = n.tx_id and e.seq = n.seq;
insert into event_heads (instance_id, position) select instance_id, max(position) from events group by instance_id;

-- The previous version, still serving during a rollout, inserts events without a number: a
-- trigger takes it from the head then (under the same row lock, held until that commit).
create function event_position() returns trigger language plpgsql as $$
begin
    insert into event_heads as h (instance_id, position) values (new.instance_id, 1)
    on conflict (instance_id) do update set position = h.position + 1
    returning position into new.position;
    return new;
end
$$;
create trigger events_position before insert on events
    for each row when (new.position is null) execute function event_position();

alter table events alter column position set not null;
alter table events drop constraint events_pkey;
alter table events add primary key (instance_id, position);
drop index events_order;
-- tx_id and seq stay: a cursor of the earlier order is resolved through them, and the previous
-- version reads them during a rollout. A later migration may drop them.

-- The webhook dispatcher's place is now a number per instance: where the single cursor was, each
-- instance's events up to it are dispatched.
create table webhook_dispatched (
    instance_id uuid primary key,
    position    bigint not null      -- the number of the instance's last event dispatched
);
insert into webhook_dispatched (instance_id, position)
select e.instance_id, max(e.position) from events e, webhook_dispatch d
where (e.tx_id, e.seq) <= (d.tx_id, d.seq) group by e.instance_id;
-- Emptied, not dropped: the previous version's dispatcher finds no row during a rollout and stands
-- aside (it would otherwise queue every delivery a second time). A later migration drops it.
delete from webhook_dispatch;
