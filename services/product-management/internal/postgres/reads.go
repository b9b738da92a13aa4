package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

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
	if len(q.Products) > 0 && q.Metaobjects {
		collectInto(b, &out.Metaobjects, func(r pgx.Row) (catalog.Metaobject, error) { return scanMetaobject(r) },
			metaobjectsOf, instance, q.Products)
	}
	if q.PriceChannel != uuid.Nil {
		collectInto(b, &out.PriceChannel, scanChannel, channelsByID, instance, []uuid.UUID{q.PriceChannel})
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

// orderColumn maps an order key to its SQL expression.
func orderColumn(by string) string {
	switch by {
	case "updated_at":
		return "p.updated_at"
	case "title":
		return "lower(coalesce(t.title, d.title))"
	}
	return "p.created_at"
}

func (s *Store) ListProductIDs(ctx context.Context, instance uuid.UUID, q catalog.ListQuery) ([]uuid.UUID, catalog.Total, *catalog.Cursor, error) {
	args := []any{instance}
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	where := []string{"p.instance_id = $1"}
	joinTitle := q.OrderBy == "title"
	from := "products p"
	if joinTitle {
		from += ` left join product_translations t on t.instance_id = p.instance_id and t.product_id = p.id and t.locale = ` + arg(q.Locale.Code) + `
			left join product_translations d on d.instance_id = p.instance_id and d.product_id = p.id and d.locale = ` + arg(q.Locale.Fallback)
	}
	if q.Status != nil {
		where = append(where, "p.status = "+arg(string(*q.Status)))
	}
	if q.Collection != nil {
		where = append(where, "exists (select 1 from product_collections pc where pc.instance_id = p.instance_id and pc.product_id = p.id and pc.collection_id = "+arg(*q.Collection)+")")
	}
	if q.Channel != nil {
		where = append(where, "exists (select 1 from product_channels pc where pc.instance_id = p.instance_id and pc.product_id = p.id and pc.channel_id = "+arg(*q.Channel)+")")
	}
	if q.Vendor != nil {
		where = append(where, "p.vendor = "+arg(*q.Vendor))
	}
	if len(q.Tags) > 0 {
		where = append(where, "p.tags && "+arg(q.Tags))
	}
	if q.Title != nil {
		// The title in the read locale, else (none there) in its fallback, as reads show it; each
		// side is a probe of the trigram index on titles.
		pat, code := arg("%"+likeEscape(*q.Title)+"%"), arg(q.Locale.Code)
		match := `select x.product_id from product_translations x where x.instance_id = $1 and x.locale = ` + code + ` and x.title ilike ` + pat
		if fb := q.Locale.Fallback; fb != "" && fb != q.Locale.Code {
			match += ` union all select y.product_id from product_translations y
				where y.instance_id = $1 and y.locale = ` + arg(fb) + ` and y.title ilike ` + pat + `
				and not exists (select 1 from product_translations z where z.instance_id = y.instance_id and z.product_id = y.product_id
					and z.locale = ` + code + ` and z.title is not null)`
		}
		where = append(where, "p.id in ("+match+")")
	}
	if q.CreatedAfter != nil {
		where = append(where, "p.created_at >= "+arg(*q.CreatedAfter))
	}
	if q.CreatedBefore != nil {
		where = append(where, "p.created_at < "+arg(*q.CreatedBefore))
	}
	if q.UpdatedAfter != nil {
		where = append(where, "p.updated_at >= "+arg(*q.UpdatedAfter))
	}
	if q.UpdatedBefore != nil {
		where = append(where, "p.updated_at < "+arg(*q.UpdatedBefore))
	}
	dir, cmp := "asc", ">"
	if q.Descending {
		dir, cmp = "desc", "<"
	}
	col := orderColumn(q.OrderBy)
	if q.Cursor != nil {
		if q.Cursor.ID != uuid.Nil { // the zero cursor starts the walk
			where = append(where, fmt.Sprintf("(%s, p.id) %s (%s, %s)", col, cmp, arg(q.Cursor.At), arg(q.Cursor.ID)))
		}
		sql := fmt.Sprintf(`select p.id, %s from %s where %s order by %s %s, p.id %s limit %s`,
			col, from, strings.Join(where, " and "), col, dir, dir, arg(q.PerPage+1))
		rows, err := s.db(ctx).Query(ctx, sql, args...)
		if err != nil {
			return nil, catalog.Total{}, nil, wrap(err)
		}
		type row struct {
			id uuid.UUID
			at time.Time
		}
		list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
			var x row
			err := r.Scan(&x.id, &x.at)
			return x, err
		})
		if err != nil {
			return nil, catalog.Total{}, nil, wrap(err)
		}
		var next *catalog.Cursor
		if len(list) > q.PerPage {
			list = list[:q.PerPage]
			last := list[len(list)-1]
			next = &catalog.Cursor{At: last.at, ID: last.id}
		}
		ids := make([]uuid.UUID, len(list))
		for i, x := range list {
			ids[i] = x.id
		}
		return ids, catalog.Total{Items: -1}, next, nil
	}
	// The page is an index walk; the total is counted exactly up to catalog.ExactTotalUpTo (a
	// bounded count, in the same round trip) and estimated by the planner beyond: a count of the
	// whole filtered set on every page is what made deep catalogs slow.
	nulls := ""
	if q.OrderBy == "title" {
		nulls = " nulls last"
	}
	cond := strings.Join(where, " and ")
	filterArgs := slices.Clone(args)
	page := fmt.Sprintf(`select p.id from %s where %s order by %s %s%s, p.id %s limit %s offset %s`,
		from, cond, col, dir, nulls, dir, arg(q.PerPage), arg((q.Page-1)*q.PerPage))
	// One statement, planned for its own arguments (QueryExecModeExec): a plan cached for an average
	// instance would scan a whole large table for a small instance's bounded count.
	var ids []uuid.UUID
	total := 0
	err := s.db(ctx).QueryRow(ctx, fmt.Sprintf(`select array(select id from (%s) page),
		(select count(*) from (select 1 from %s where %s limit %d) x)`, page, from, cond, catalog.ExactTotalUpTo+1),
		append([]any{pgx.QueryExecModeExec}, args...)...).Scan(&ids, &total)
	if err != nil {
		return nil, catalog.Total{}, nil, wrap(err)
	}
	if total <= catalog.ExactTotalUpTo {
		return ids, catalog.Total{Items: total}, nil, nil
	}
	var plan []struct {
		Plan struct {
			Rows float64 `json:"Plan Rows"`
		} `json:"Plan"`
	}
	var raw []byte
	if err := s.db(ctx).QueryRow(ctx, fmt.Sprintf(`explain (format json) select 1 from %s where %s`, from, cond),
		append([]any{pgx.QueryExecModeExec}, filterArgs...)...).Scan(&raw); err != nil {
		return nil, catalog.Total{}, nil, wrap(err)
	}
	estimate := 0
	if json.Unmarshal(raw, &plan) == nil && len(plan) == 1 {
		estimate = int(plan[0].Plan.Rows)
	}
	// At least what was seen: more than the exact bound, and everything up to a non-empty page.
	estimate = max(estimate, catalog.ExactTotalUpTo+1)
	if len(ids) > 0 {
		estimate = max(estimate, (q.Page-1)*q.PerPage+len(ids))
	}
	return ids, catalog.Total{Items: estimate, Estimated: true}, nil, nil
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
