package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/flowkiwi/platform/pkg/pgtx"
)

// itemReads coalesces the document lookups of item reads (productDocumentSQL) under load: a read
// queues its lookup, and each of a few workers takes every lookup queued, up to maxItemBatch, into
// one statement. A lone read goes at once (no worker waits for company), so an idle replica
// answers as before; a loaded one asks the database once for many reads. A primary-key lookup
// costs PostgreSQL mostly its per-statement work: eight in one statement ran 2.5 times the lookups
// per second that pgbench ran one by one. Each lookup is still made after its read arrived, so the
// read sees every write committed before it.
type itemReads struct {
	pool    *pgxpool.Pool
	queue   chan *itemRead
	workers int
	start   sync.Once
	sql     map[int]string // itemBatchSQL
}

// maxItemBatch is the most lookups one statement makes; batches are padded to a power of two
// (itemBatchSQL), so PostgreSQL keeps one generic plan per size.
const maxItemBatch = 32

// lookUp makes one lookup on q (the pool, or a change's transaction, which sees its own writes).
func lookUp(ctx context.Context, q pgtx.Querier, it *itemRead) {
	var row pgx.Row
	if it.channel != uuid.Nil {
		row = q.QueryRow(ctx, pricedDocumentSQL, it.instance, it.id, it.kept, it.dec, it.channel)
	} else {
		row = q.QueryRow(ctx, productDocumentSQL, it.instance, it.id, it.kept, it.dec)
	}
	it.err = row.Scan(&it.revision, &it.doc, &it.currency)
	if errors.Is(it.err, pgx.ErrNoRows) {
		it.err = nil
	} else {
		it.found = it.err == nil
	}
}

// itemBatchTimeout bounds a batch's statement past the database's own bounds (statement timeout,
// acquire wait): a connection that died without a word would otherwise hold its worker for as
// long as TCP takes to notice.
const itemBatchTimeout = 15 * time.Second

// itemRead is one queued lookup and, once done is closed, its answer.
type itemRead struct {
	ctx          context.Context // the reader's: a lookup whose reader gave up is not made
	instance, id uuid.UUID
	channel      uuid.UUID // uuid.Nil: no currency asked
	kept, dec    int64     // revisions whose body the reader needs not (productDocumentSQL)
	done         chan struct{}

	found    bool
	revision int64
	doc      []byte
	currency *string
	err      error
}

func newItemReads(pool *pgxpool.Pool) *itemReads {
	// A worker holds at most one connection, and only while its statement runs: a quarter of the
	// pool (at least two) leaves the rest to lists and writes.
	workers := 2
	if pool != nil {
		workers = max(2, int(pool.Config().MaxConns)/4)
	}
	return &itemReads{pool: pool, queue: make(chan *itemRead, 4*maxItemBatch), workers: workers, sql: itemBatchSQL()}
}

// read queues it and waits for its answer (or for ctx to end).
func (r *itemReads) read(ctx context.Context, it *itemRead) error {
	r.start.Do(func() {
		for range r.workers {
			go r.work()
		}
	})
	it.ctx, it.done = ctx, make(chan struct{})
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case r.queue <- it:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-it.done:
		return it.err
	case <-ctx.Done():
		return ctx.Err() // the worker still answers it, to no one
	}
}

// work answers queued lookups for as long as the process runs: every lookup waiting when it
// becomes free goes into its next statement.
func (r *itemReads) work() {
	batch := make([]*itemRead, 0, maxItemBatch)
	args := make([]any, 0, 5*maxItemBatch)
	take := func(it *itemRead) {
		if it.ctx != nil && it.ctx.Err() != nil { // its reader gave up: it answers ctx's error
			it.err = it.ctx.Err()
			close(it.done)
			return
		}
		batch = append(batch, it)
	}
	for it := range r.queue {
		batch = batch[:0]
		take(it)
	more:
		for len(batch) < maxItemBatch {
			select {
			case it := <-r.queue:
				take(it)
			default:
				break more
			}
		}
		if len(batch) > 0 {
			args = r.run(batch, args[:0])
		}
	}
}

// run makes batch's lookups in one statement and answers each. The statement runs under no
// reader's cancellation (one reader giving up must not fail the others): the pool's statement
// timeout, its acquire bound and itemBatchTimeout bound it.
func (r *itemReads) run(batch []*itemRead, args []any) []any {
	defer func() {
		for _, it := range batch {
			close(it.done)
		}
	}()
	// The statement keeps the first reader's values (its trace, its log attributes) without its
	// cancellation; the other readers' traces show their wait.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(batch[0].ctx), itemBatchTimeout)
	defer cancel()
	if len(batch) == 1 {
		lookUp(ctx, r.pool, batch[0])
		return args
	}
	size := 2
	for size < len(batch) {
		size *= 2
	}
	for i := range size {
		if i < len(batch) {
			it := batch[i]
			args = append(args, it.instance, it.id, it.kept, it.dec, it.channel)
		} else { // padding: a row that matches no document
			args = append(args, uuid.Nil, uuid.Nil, int64(0), int64(0), uuid.Nil)
		}
	}
	rows, err := r.pool.Query(ctx, r.sql[size], args...)
	if err == nil {
		for rows.Next() {
			var n int
			var rev int64
			var doc []byte
			var currency *string
			if err = rows.Scan(&n, &rev, &doc, &currency); err != nil {
				break
			}
			if n < 0 || n >= len(batch) {
				err = fmt.Errorf("postgres: a document came back for lookup %d of %d", n, len(batch))
				break
			}
			it := batch[n]
			it.found, it.revision, it.doc, it.currency = true, rev, doc, currency
		}
		rows.Close()
		if err == nil {
			err = rows.Err()
		}
	}
	if err != nil {
		for _, it := range batch {
			it.found, it.doc, it.err = false, nil, err
		}
	}
	return args
}

// itemBatchSQL()[n] makes n lookups (n a power of two, 2 to maxItemBatch): a VALUES list of scalar
// parameters, not arrays, so that PostgreSQL's custom and generic plans cost the same and it
// keeps the generic one (an array's length, known only to a custom plan, made every custom plan
// look cheaper, and each execution was planned again). Rows: the lookup's position, the revision,
// the document unless at a revision kept or decoded, the channel's currency (none for uuid.Nil).
func itemBatchSQL() map[int]string {
	out := map[int]string{}
	for n := 2; n <= maxItemBatch; n *= 2 {
		var values strings.Builder
		for i := range n {
			if i > 0 {
				values.WriteString(", ")
			}
			p := 5*i + 1
			fmt.Fprintf(&values, "($%d::uuid, $%d::uuid, $%d::bigint, $%d::bigint, $%d::uuid, %d)", p, p+1, p+2, p+3, p+4, i)
		}
		out[n] = `select k.n, d.revision, case when d.revision in (k.kept, k.dec) then null else d.doc end,
			case when k.channel <> '00000000-0000-0000-0000-000000000000' then
				(select c.currency from channels c where c.instance_id = k.instance and c.id = k.channel) end
		from (values ` + values.String() + `) k(instance, id, kept, dec, channel, n)
		join product_documents d on d.instance_id = k.instance and d.product_id = k.id`
	}
	return out
}
