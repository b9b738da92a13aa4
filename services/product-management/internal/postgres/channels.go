package postgres

import (
	"context"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
)

const channelColumns = `c.id, c.code, c.name, c.currency, c.created_at, c.updated_at,
	coalesce((select array_agg(x.country order by x.country) from channel_countries x
		where x.instance_id = c.instance_id and x.channel_id = c.id), '{}')`

func scanChannel(r pgx.Row) (catalog.Channel, error) {
	var c catalog.Channel
	err := r.Scan(&c.ID, &c.Code, &c.Name, &c.Currency, &c.CreatedAt, &c.UpdatedAt, &c.Countries)
	return c, err
}

func (s *Store) Channels(ctx context.Context, instance uuid.UUID) ([]catalog.Channel, error) {
	rows, err := s.db(ctx).Query(ctx, `select `+channelColumns+` from channels c where c.instance_id = $1 order by c.code`, instance)
	if err != nil {
		return nil, wrap(err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (catalog.Channel, error) { return scanChannel(r) })
	return list, wrap(err)
}

// channelsByID: $1 instance, $2 the ids.
const channelsByID = `select ` + channelColumns + ` from channels c where c.instance_id = $1 and c.id = any($2) order by c.code`

func (s *Store) ChannelsByID(ctx context.Context, instance uuid.UUID, ids []uuid.UUID) ([]catalog.Channel, error) {
	rows, err := s.db(ctx).Query(ctx, channelsByID, instance, ids)
	if err != nil {
		return nil, wrap(err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (catalog.Channel, error) { return scanChannel(r) })
	return list, wrap(err)
}

func queueCountries(b *pgx.Batch, instance uuid.UUID, c catalog.Channel) {
	b.Queue(`delete from channel_countries where instance_id = $1 and channel_id = $2`, instance, c.ID)
	if len(c.Countries) > 0 {
		b.Queue(`insert into channel_countries (instance_id, channel_id, country) select $1, $2, x from unnest($3::text[]) x`, instance, c.ID, c.Countries)
	}
}

func (s *Store) CreateChannel(ctx context.Context, instance uuid.UUID, c catalog.Channel) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		b.Queue(`insert into channels (instance_id, id, code, name, currency) values ($1, $2, $3, $4, $5)`, instance, c.ID, c.Code, c.Name, c.Currency)
		queueCountries(b, instance, c)
		return tx.SendBatch(ctx, b).Close()
	})
	if name, ok := uniqueViolation(err); ok && name == "channels_code" {
		return fault.Conflict("code: another channel of this instance has the code %q", c.Code)
	}
	return wrap(err)
}

func (s *Store) UpdateChannel(ctx context.Context, instance uuid.UUID, c catalog.Channel) error {
	return wrap(s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `update channels set name = $3, updated_at = now() where instance_id = $1 and id = $2`, instance, c.ID, c.Name)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fault.NotFound("no such channel")
		}
		b := &pgx.Batch{}
		queueCountries(b, instance, c)
		return tx.SendBatch(ctx, b).Close()
	}))
}

func (s *Store) DeleteChannel(ctx context.Context, instance, id uuid.UUID) error {
	tag, err := s.db(ctx).Exec(ctx, `delete from channels where instance_id = $1 and id = $2`, instance, id)
	if isForeignKeyViolation(err) {
		return fault.Conflict("the channel is in use: products are assigned to it or prices are set for it; remove those first")
	}
	if err != nil {
		return wrap(err)
	}
	if tag.RowsAffected() == 0 {
		return fault.NotFound("no such channel")
	}
	return nil
}
