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
		b.Queue(channelsByID, instance, q.Channels).Query(func(rows pgx.Rows) error {
			var err error
			out.Channels, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (catalog.Channel, error) { return scanChannel(r) })
			return err
		})
	}
	if len(q.Medias) > 0 {
		b.Queue(mediasByID, instance, loc.Code, loc.Fallback, q.Medias).Query(func(rows pgx.Rows) error {
			var err error
			out.Medias, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (catalog.Media, error) { return scanMedia(r) })
			return err
		})
	}
	if len(q.Categories) > 0 {
		b.Queue(categoriesByID, instance, loc.Code, loc.Fallback, q.Categories).Query(func(rows pgx.Rows) error {
			var err error
			out.Categories, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (catalog.Category, error) { return scanCategory(r) })
			return err
		})
	}
	if len(q.Collections) > 0 {
		b.Queue(collectionsByID, instance, loc.Code, loc.Fallback, q.Collections).Query(func(rows pgx.Rows) error {
			var err error
			out.Collections, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (catalog.Collection, error) { return scanCollection(r) })
			return err
		})
	}
	if len(q.Products) > 0 {
		b.Queue(metafieldsOf, instance, q.Products).Query(func(rows pgx.Rows) error {
			var err error
			out.Metafields, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (catalog.Metafield, error) { return scanMetafield(r) })
			return err
		})
		if q.Metaobjects {
			b.Queue(metaobjectsOf, instance, q.Products).Query(func(rows pgx.Rows) error {
				var err error
				out.Metaobjects, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (catalog.Metaobject, error) { return scanMetaobject(r) })
				return err
			})
		}
	}
	if b.Len() == 0 {
		return out, nil
	}
	return out, wrap(s.pool.SendBatch(ctx, b).Close())
}
