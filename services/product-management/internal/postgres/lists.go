package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
)

// titleMatchesGatheredUpTo is how many products a title search gathers from the trigram index
// before it gives up on gathering: a search matching fewer is paged from its matches (a few
// index probes each); one matching more is common enough that walking the list's order and
// testing each product finds a page sooner.
const titleMatchesGatheredUpTo = 2000

// listStatement builds one list statement's SQL and its arguments ($1 is the instance).
// unselectiveSearchAbove: a title search the planner expects to match more often than this is
// paged by walking from the start, its total estimated.
const unselectiveSearchAbove = 4 * titleMatchesGatheredUpTo

type listStatement struct {
	args []any
}

func (l *listStatement) arg(v any) string {
	l.args = append(l.args, v)
	return fmt.Sprintf("$%d", len(l.args))
}

// filters are the list's conditions on products p, but for the title search (titleMatch).
func (l *listStatement) filters(q catalog.ListQuery) []string {
	where := []string{"p.instance_id = $1"}
	if q.Status != nil {
		where = append(where, "p.status = "+l.arg(string(*q.Status)))
	}
	if q.Collection != nil {
		where = append(where, "exists (select 1 from product_collections pc where pc.instance_id = p.instance_id and pc.product_id = p.id and pc.collection_id = "+l.arg(*q.Collection)+")")
	}
	if q.Channel != nil {
		where = append(where, "exists (select 1 from product_channels pc where pc.instance_id = p.instance_id and pc.product_id = p.id and pc.channel_id = "+l.arg(*q.Channel)+")")
	}
	if q.Vendor != nil {
		where = append(where, "p.vendor = "+l.arg(*q.Vendor))
	}
	if len(q.Tags) > 0 {
		where = append(where, "p.tags && "+l.arg(q.Tags))
	}
	if q.CreatedAfter != nil {
		where = append(where, "p.created_at >= "+l.arg(*q.CreatedAfter))
	}
	if q.CreatedBefore != nil {
		where = append(where, "p.created_at < "+l.arg(*q.CreatedBefore))
	}
	if q.UpdatedAfter != nil {
		where = append(where, "p.updated_at >= "+l.arg(*q.UpdatedAfter))
	}
	if q.UpdatedBefore != nil {
		where = append(where, "p.updated_at < "+l.arg(*q.UpdatedBefore))
	}
	return where
}

// titleMatch selects the products whose title, as reads show it (the read locale's, else its
// fallback's), contains q.Title, as (product_id, created_at): each side is a probe of the trigram
// index on titles, whose rows carry their product's creation time, the list's default order.
func (l *listStatement) titleMatch(q catalog.ListQuery) string {
	pat, code := l.arg("%"+likeEscape(*q.Title)+"%"), l.arg(q.Locale.Code)
	match := `select x.product_id, x.product_created_at created_at from product_translations x where x.instance_id = $1 and x.locale = ` + code + ` and x.title ilike ` + pat
	if fb := q.Locale.Fallback; fb != "" && fb != q.Locale.Code {
		match += ` union all select y.product_id, y.product_created_at from product_translations y
			where y.instance_id = $1 and y.locale = ` + l.arg(fb) + ` and y.title ilike ` + pat + `
			and not exists (select 1 from product_translations z where z.instance_id = y.instance_id and z.product_id = y.product_id
				and z.locale = ` + code + ` and z.title is not null)`
	}
	return match
}

// matched is the condition that product p is among a title search's matches.
func matched(match string) string {
	return "p.id in (select product_id from (" + match + ") m)"
}

// orderColumn maps an order key other than title to its column.
func orderColumn(by string) string {
	if by == "updated_at" {
		return "p.updated_at"
	}
	return "p.created_at"
}

// page selects a page of ids of the products matching cond in q's order.
func (l *listStatement) page(q catalog.ListQuery, cond string) string {
	dir := "asc"
	if q.Descending {
		dir = "desc"
	}
	limit, offset := l.arg(q.PerPage), l.arg((q.Page-1)*q.PerPage)
	if q.OrderBy != "title" {
		col := orderColumn(q.OrderBy)
		return fmt.Sprintf(`select p.id from products p where %s order by %s %s, p.id %s limit %s offset %s`,
			cond, col, dir, dir, limit, offset)
	}
	// By title as reads show it, lower-cased, products without one last: the titles in the read
	// locale and, for products without one there, in its fallback are two walks of the title index
	// merged (a sort of the coalesced title read every product); the untitled are read only when
	// those two run out before the page ends.
	seen := l.arg((q.Page-1)*q.PerPage + q.PerPage) // what the page needs from each source
	code := l.arg(q.Locale.Code)
	titled := func(locale, extra string) string {
		return fmt.Sprintf(`(select x.product_id id, lower(x.title) k from product_translations x
			join products p on p.instance_id = x.instance_id and p.id = x.product_id
			where x.instance_id = $1 and x.locale = %s and x.title is not null%s and %s
			order by lower(x.title) %s, x.product_id %s limit %s)`, locale, extra, cond, dir, dir, seen)
	}
	legs := titled(code, "")
	locales := code
	if fb := q.Locale.Fallback; fb != "" && fb != q.Locale.Code {
		f := l.arg(fb)
		locales += ", " + f
		legs += " union all " + titled(f, ` and not exists (select 1 from product_translations z
			where z.instance_id = x.instance_id and z.product_id = x.product_id and z.locale = `+code+` and z.title is not null)`)
	}
	return fmt.Sprintf(`with titled as (select id, k from (%s) legs order by k %s, id %s limit %s)
		select id from (
			select id, k, 0 g from titled
			union all
			select id, null, 1 from (select p.id from products p where %s and not exists (select 1 from product_translations w
				where w.instance_id = p.instance_id and w.product_id = p.id and w.locale in (%s) and w.title is not null)
				order by p.id %s limit %s) untitled
			where (select count(*) from titled) < %s
		) r order by g, k %s, id %s limit %s offset %s`,
		legs, dir, dir, seen, cond, locales, dir, seen, seen, dir, dir, limit, offset)
}

// matchesPage selects a page of the gathered matches in created order, as page would.
func (l *listStatement) matchesPage(q catalog.ListQuery) string {
	dir := "asc"
	if q.Descending {
		dir = "desc"
	}
	return fmt.Sprintf(`select product_id id from matches order by created_at %s, product_id %s limit %s offset %s`,
		dir, dir, l.arg(q.PerPage), l.arg((q.Page-1)*q.PerPage))
}

// count counts the products matching cond, up to one past catalog.ExactTotalUpTo.
func count(cond string) string {
	return fmt.Sprintf(`select count(*) from (select 1 from products p where %s limit %d) x`, cond, catalog.ExactTotalUpTo+1)
}

// ListProductIDs lists a page of q, with each product's document revision (catalog.ListedPage).
func (s *Store) ListProductIDs(ctx context.Context, instance uuid.UUID, q catalog.ListQuery) (catalog.ListedPage, error) {
	if q.Cursor != nil {
		return s.walkProducts(ctx, instance, q)
	}
	l := &listStatement{args: []any{instance}}
	where := l.filters(q)
	cond := strings.Join(where, " and ")
	estimateCond, match := cond, ""
	if q.Title != nil {
		match = l.titleMatch(q)
		estimateCond += " and " + matched(match)
	}
	filterArgs := len(l.args) // what the conditions use; the page's own arguments follow
	expected := -1            // the planner's estimate of the total, once asked
	if q.Title != nil {
		// A search the planner expects to match most of a large catalog would spend longer gathering
		// its matches from the trigram index (common trigrams list every title) than walking the
		// list's order, which soon meets a page of them; its total is that estimate.
		var err error
		if expected, err = s.estimate(ctx, estimateCond, l.args[:filterArgs]); err != nil {
			return catalog.ListedPage{}, err
		}
		if expected > s.walkSearchesAbove {
			var page listedPage
			if err := s.db(ctx).QueryRow(ctx, `select `+listed(l.page(q, estimateCond)),
				append([]any{pgx.QueryExecModeExec}, l.args...)...).Scan(&page); err != nil {
				return catalog.ListedPage{}, wrap(err)
			}
			return catalog.ListedPage{IDs: page.ids, Revisions: page.revisions, Total: estimatedTotal(expected, q, page.ids)}, nil
		}
	}
	var page listedPage
	total, exact := 0, false // exact: counted whole, even past catalog.ExactTotalUpTo
	into := []any{&page, &total}
	var sql string
	if q.Title == nil {
		sql = fmt.Sprintf(`select %s, (%s)`, listed(l.page(q, cond)), count(cond))
	} else {
		// A search gathers its matches first. When they are few, the page is read by id among
		// them and counted exactly (the gathered set bounds the count); else the search is a filter
		// on the list's walk. One statement: a CASE runs only the branch it takes.
		among := cond + " and p.id = any(array(select product_id from matches))"
		counted := fmt.Sprintf(`select count(*) from products p where %s`, among)
		var gatheredPage string
		if len(where) == 1 { // no other filter: every match is a product of the instance
			counted = `select count(*) from matches`
		}
		if len(where) == 1 && q.OrderBy != "title" && q.OrderBy != "updated_at" { // and the matches carry the order
			gatheredPage = l.matchesPage(q)
		} else {
			gatheredPage = l.page(q, among)
		}
		sql = fmt.Sprintf(`with matches as materialized (select product_id, created_at from (%s) m limit %d),
				gathered as (select count(*) <= %d ok from matches)
			select case when (select ok from gathered) then %s else %s end,
				case when (select ok from gathered) then (%s) else (%s) end,
				(select ok from gathered)`,
			match, s.gatherTitleMatches+1, s.gatherTitleMatches, listed(gatheredPage), listed(l.page(q, estimateCond)),
			counted, count(estimateCond))
		into = append(into, &exact)
	}
	// One statement, planned for its own arguments (QueryExecModeExec): a plan cached for an average
	// instance would scan a whole large table for a small instance's bounded count.
	if err := s.db(ctx).QueryRow(ctx, sql, append([]any{pgx.QueryExecModeExec}, l.args...)...).Scan(into...); err != nil {
		return catalog.ListedPage{}, wrap(err)
	}
	if exact || total <= catalog.ExactTotalUpTo {
		return catalog.ListedPage{IDs: page.ids, Revisions: page.revisions, Total: catalog.Total{Items: total}}, nil
	}
	if expected < 0 {
		var err error
		if expected, err = s.estimate(ctx, estimateCond, l.args[:filterArgs]); err != nil {
			return catalog.ListedPage{}, err
		}
	}
	return catalog.ListedPage{IDs: page.ids, Revisions: page.revisions, Total: estimatedTotal(expected, q, page.ids)}, nil
}

// listed is the text array of a page's products as the list statement found them: each id with
// its document's revision then (0: none), so a caller holding a copy of each at its revision needs
// no second statement.
func listed(page string) string {
	return `array(select pg.id::text || ':' || coalesce((select d.revision from product_documents d
		where d.instance_id = $1 and d.product_id = pg.id), 0) from (` + page + `) pg)::text`
}

// listedPage scans listed's array from its text ({id:revision,...}): the statements run
// unprepared (QueryExecModeExec), so results come as text, and pgx's generic array parser spent
// some 30 KB of garbage on a page of 50.
type listedPage struct {
	ids       []uuid.UUID
	revisions []int64
}

func (p *listedPage) Scan(src any) error {
	text, ok := src.(string)
	if !ok || len(text) < 2 || text[0] != '{' || text[len(text)-1] != '}' {
		return fmt.Errorf("postgres: a page of ids is not an array's text: %.80v", src)
	}
	p.ids, p.revisions = p.ids[:0], p.revisions[:0]
	if text = text[1 : len(text)-1]; text == "" {
		return nil
	}
	for item := range strings.SplitSeq(text, ",") {
		id, rev, ok := strings.Cut(item, ":")
		u, err := uuid.Parse(id)
		if err != nil || !ok {
			return fmt.Errorf("postgres: a page lists %.80q", item)
		}
		n, err := strconv.ParseInt(rev, 10, 64)
		if err != nil {
			return fmt.Errorf("postgres: a page lists %.80q", item)
		}
		p.ids, p.revisions = append(p.ids, u), append(p.revisions, n)
	}
	return nil
}

// estimatedTotal is the planner's estimate made consistent with what was seen: more than the
// exact bound, and everything up to a non-empty page.
func estimatedTotal(estimate int, q catalog.ListQuery, ids []uuid.UUID) catalog.Total {
	estimate = max(estimate, catalog.ExactTotalUpTo+1)
	if len(ids) > 0 {
		estimate = max(estimate, (q.Page-1)*q.PerPage+len(ids))
	}
	return catalog.Total{Items: estimate, Estimated: true}
}

// estimate is the planner's estimate of the products matching cond: a list past
// catalog.ExactTotalUpTo is not counted whole.
func (s *Store) estimate(ctx context.Context, cond string, args []any) (int, error) {
	var plan []struct {
		Plan struct {
			Rows float64 `json:"Plan Rows"`
		} `json:"Plan"`
	}
	var raw []byte
	if err := s.db(ctx).QueryRow(ctx, `explain (format json) select 1 from products p where `+cond,
		append([]any{pgx.QueryExecModeExec}, args...)...).Scan(&raw); err != nil {
		return 0, wrap(err)
	}
	if json.Unmarshal(raw, &plan) != nil || len(plan) != 1 {
		return 0, nil
	}
	return int(plan[0].Plan.Rows), nil
}

// walkProducts reads a cursor page: keyset paging in created or updated order, with no count.
func (s *Store) walkProducts(ctx context.Context, instance uuid.UUID, q catalog.ListQuery) (catalog.ListedPage, error) {
	l := &listStatement{args: []any{instance}}
	where := l.filters(q)
	if q.Title != nil {
		where = append(where, matched(l.titleMatch(q)))
	}
	dir, cmp := "asc", ">"
	if q.Descending {
		dir, cmp = "desc", "<"
	}
	col := orderColumn(q.OrderBy)
	if q.Cursor.ID != uuid.Nil { // the zero cursor starts the walk
		where = append(where, fmt.Sprintf("(%s, p.id) %s (%s, %s)", col, cmp, l.arg(q.Cursor.At), l.arg(q.Cursor.ID)))
	}
	sql := fmt.Sprintf(`select p.id, %s, coalesce((select d.revision from product_documents d where d.instance_id = p.instance_id and d.product_id = p.id), 0)
		from products p where %s order by %s %s, p.id %s limit %s`,
		col, strings.Join(where, " and "), col, dir, dir, l.arg(q.PerPage+1))
	rows, err := s.db(ctx).Query(ctx, sql, l.args...)
	if err != nil {
		return catalog.ListedPage{}, wrap(err)
	}
	type row struct {
		id       uuid.UUID
		at       time.Time
		revision int64
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var x row
		err := r.Scan(&x.id, &x.at, &x.revision)
		return x, err
	})
	if err != nil {
		return catalog.ListedPage{}, wrap(err)
	}
	var next *catalog.Cursor
	if len(list) > q.PerPage {
		list = list[:q.PerPage]
		last := list[len(list)-1]
		next = &catalog.Cursor{At: last.at, ID: last.id}
	}
	page := catalog.ListedPage{IDs: make([]uuid.UUID, len(list)), Revisions: make([]int64, len(list)), Total: catalog.Total{Items: -1}, Next: next}
	for i, x := range list {
		page.IDs[i], page.Revisions[i] = x.id, x.revision
	}
	return page, nil
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
