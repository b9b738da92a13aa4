package postgres

import (
	"context"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
)

// mediaColumns reads the alt text in the requested locale ($2), falling back to $3.
const mediaColumns = `m.id, m.type, m.src, m.mime_type, m.width, m.height, m.created_at, m.updated_at,
	coalesce((select t.alt from media_translations t where t.instance_id = m.instance_id and t.media_id = m.id and t.locale = $2),
		(select t.alt from media_translations t where t.instance_id = m.instance_id and t.media_id = m.id and t.locale = $3))`

func scanMedia(r pgx.Row, extra ...any) (catalog.Media, error) {
	var m catalog.Media
	err := r.Scan(append([]any{&m.ID, &m.Type, &m.Src, &m.MimeType, &m.Width, &m.Height, &m.CreatedAt, &m.UpdatedAt, &m.Alt}, extra...)...)
	return m, err
}

func (s *Store) Medias(ctx context.Context, instance uuid.UUID, loc catalog.ReadLocale, page, perPage int) ([]catalog.Media, int, error) {
	rows, err := s.db(ctx).Query(ctx, `select `+mediaColumns+`, count(*) over () from medias m where m.instance_id = $1
		order by m.created_at desc, m.id limit $4 offset $5`, instance, loc.Code, loc.Fallback, perPage, (page-1)*perPage)
	if err != nil {
		return nil, 0, wrap(err)
	}
	total := 0
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (catalog.Media, error) { return scanMedia(r, &total) })
	return list, total, wrap(err)
}

// mediasByID: $1 instance, $2 and $3 the read locale, $4 the ids.
const mediasByID = `select ` + mediaColumns + ` from medias m where m.instance_id = $1 and m.id = any($4)`

func (s *Store) MediasByID(ctx context.Context, instance uuid.UUID, ids []uuid.UUID, loc catalog.ReadLocale) ([]catalog.Media, error) {
	rows, err := s.db(ctx).Query(ctx, mediasByID, instance, loc.Code, loc.Fallback, ids)
	if err != nil {
		return nil, wrap(err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (catalog.Media, error) { return scanMedia(r) })
	return list, wrap(err)
}

// queueMedias inserts new medias with their alt text in locale.
func queueMedias(b *pgx.Batch, instance uuid.UUID, locale string, ms []catalog.Media) {
	for _, m := range ms {
		b.Queue(`insert into medias (instance_id, id, type, src, mime_type, width, height) values ($1, $2, $3, $4, $5, $6, $7)`,
			instance, m.ID, m.Type, m.Src, m.MimeType, m.Width, m.Height)
		if m.Alt != nil {
			b.Queue(`insert into media_translations (instance_id, media_id, locale, alt) values ($1, $2, $3, $4)`, instance, m.ID, locale, m.Alt)
		}
	}
}

func (s *Store) SaveMedia(ctx context.Context, instance uuid.UUID, m catalog.Media, locale string, setAlt, create bool) error {
	return wrap(s.inTx(ctx, func(tx pgx.Tx) error {
		if create {
			b := &pgx.Batch{}
			queueMedias(b, instance, locale, []catalog.Media{m})
			return tx.SendBatch(ctx, b).Close()
		}
		tag, err := tx.Exec(ctx, `update medias set src = $3, mime_type = $4, width = $5, height = $6, updated_at = now()
			where instance_id = $1 and id = $2`, instance, m.ID, m.Src, m.MimeType, m.Width, m.Height)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fault.NotFound("no such media")
		}
		if !setAlt {
			return nil
		}
		_, err = tx.Exec(ctx, `insert into media_translations (instance_id, media_id, locale, alt) values ($1, $2, $3, $4)
			on conflict (instance_id, media_id, locale) do update set alt = excluded.alt`, instance, m.ID, locale, m.Alt)
		return err
	}))
}

func (s *Store) DeleteMedia(ctx context.Context, instance, id uuid.UUID) error {
	tag, err := s.db(ctx).Exec(ctx, `delete from medias where instance_id = $1 and id = $2`, instance, id)
	if err != nil {
		return wrap(err)
	}
	if tag.RowsAffected() == 0 {
		return fault.NotFound("no such media")
	}
	return nil
}
