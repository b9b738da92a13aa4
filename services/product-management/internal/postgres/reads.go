package postgres

import (
	"context"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
)

// Embeds loads what a page of product graphs lists or embeds beyond the graph in one round trip:
// the statements of the single-purpose lookups, queued in one batch.
func (s *Store) Embeds(ctx context.Context, instance uuid.UUID, q catalog.EmbedQuery) (catalog.Embeds, error) {
	var out catalog.Embeds
	b := &pgx.Batch{}
	loc := q.Locale
	if len(q.Channels) > 0 {
		collectInto(b, &out.Channels, scanChannel, channelsByID, instance, q.Channels)
	}
	if len(q.Medias) > 0 {
		collectInto(b, &out.Medias, func(r pgx.Row) (catalog.Media, error) { return scanMedia(r) },
			mediasByID, instance, loc.Code, loc.Fallback, q.Medias)
	}
	if len(q.Categories) > 0 {
		collectInto(b, &out.Categories, func(r pgx.Row) (catalog.Category, error) { return scanCategory(r) },
			categoriesByID, instance, loc.Code, loc.Fallback, q.Categories)
	}
	if len(q.Collections) > 0 {
		collectInto(b, &out.Collections, func(r pgx.Row) (catalog.Collection, error) { return scanCollection(r) },
			collectionsByID, instance, loc.Code, loc.Fallback, q.Collections)
	}
	if len(q.Metaobjects) > 0 {
		collectInto(b, &out.Metaobjects, func(r pgx.Row) (catalog.Metaobject, error) { return scanMetaobject(r) },
			metaobjectsByID, instance, q.Metaobjects)
	}
	if b.Len() == 0 {
		return out, nil
	}
	return out, wrap(s.db(ctx).SendBatch(ctx, b).Close())
}

// collectInto queues sql on b; when the batch runs, its rows are scanned into dst.
func collectInto[T any](b *pgx.Batch, dst *[]T, scan func(pgx.Row) (T, error), sql string, args ...any) {
	b.Queue(sql, args...).Query(func(rows pgx.Rows) error {
		var err error
		*dst, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (T, error) { return scan(r) })
		return err
	})
}
