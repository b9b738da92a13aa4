// Package postgres stores the catalog in PostgreSQL through pgx. Every statement filters on
// instance_id, the leading column of every key. Products are read from the read model (one
// document per product, product_documents, rewritten in each change's transaction: documents.go),
// a page of them in one statement whatever their size; the caches in front of it are mapped in
// ../README.md. Writes go to the base tables, a batch of products in one statement per table.
package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/pkg/pgerr"
	"github.com/flowkiwi/platform/pkg/pgtx"
	"github.com/flowkiwi/platform/pkg/precondition"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
)

// Store implements catalog.Store.
type Store struct {
	pool *pgxpool.Pool

	// Every request resolves its locale; the enabled set changes rarely, so it is read through a
	// short cache. Changes made by this process drop its entry at once; other replicas see them
	// within localeTTL.
	localeMu    sync.Mutex
	localeCache map[localeKey]cachedLocales
	localeTTL   time.Duration // 0: none cached

	// decoded keeps documents as decoded at their revision: a read asks the database for the
	// revision and receives a body only when it changed, so the hot products of a storefront are
	// neither sent nor parsed again, and a read still shows every committed write. Nil: none kept.
	decoded *lru.Cache[docKey, decoded]

	// items coalesces the item reads' document lookups under load, per pool (the primary's and
	// each standby's: a read's lookups go where pgtx.Reading sent it). Nil: every read alone.
	items     map[*pgxpool.Pool]*itemReads
	coalesce  bool
	readPools []*pgxpool.Pool

	// How a title search pages (titleMatchesGatheredUpTo, unselectiveSearchAbove; tests move
	// them to reach every path).
	gatherTitleMatches, walkSearchesAbove int
}

// DecodedDocuments is how many decoded documents a Store keeps by default (about 10-20 KiB each). Hot reads
// are answered from their kept renderings (httpapi), which need no document; the decoded ones serve
// the reads a replica keeps no encoding of (other locales, embeds, a priced read past its span),
// mostly the first read of each representation: 512 held 7 MB of decoded documents that a loaded
// replica's kept renderings left idle (RSS 99 -> 91 MiB under bench-http's mixed reads).
const DecodedDocuments = 128

// LocaleTTL is how long a Store trusts the enabled locales it read, by default.
const LocaleTTL = time.Second

// New returns a Store over pool.
func New(pool *pgxpool.Pool, opts ...Option) *Store {
	s := &Store{pool: pool, localeCache: map[localeKey]cachedLocales{}, localeTTL: LocaleTTL, coalesce: true,
		gatherTitleMatches: titleMatchesGatheredUpTo, walkSearchesAbove: unselectiveSearchAbove}
	WithDecodedDocuments(DecodedDocuments)(s)
	for _, o := range opts {
		o(s)
	}
	if s.coalesce {
		s.items = map[*pgxpool.Pool]*itemReads{pool: newItemReads(pool)}
		for _, p := range s.readPools {
			s.items[p] = newItemReads(p)
		}
	}
	return s
}

// itemsFor is the coalescer of the pool ctx reads on (nil: none).
func (s *Store) itemsFor(ctx context.Context) *itemReads {
	return s.items[pgtx.ReadPool(ctx, s.pool)]
}

// Option changes how a Store works.
type Option func(*Store)

// WithoutCoalescing makes every item read its own statement (the coalescer off: see
// internal/README.md).
func WithoutCoalescing() Option { return func(s *Store) { s.coalesce = false } }

// WithReadPools names the standbys' pools reads may be sent to (pgtx.Reading), each with its own
// coalescer.
func WithReadPools(pools ...*pgxpool.Pool) Option {
	return func(s *Store) { s.readPools = pools }
}

// WithDecodedDocuments keeps n decoded documents (0: none, every read decodes its document).
func WithDecodedDocuments(n int) Option {
	return func(s *Store) {
		s.decoded = nil
		if n > 0 {
			s.decoded, _ = lru.New[docKey, decoded](n) // only a size below 1 fails
		}
	}
}

// WithLocaleTTL trusts the enabled locales read for d (0: every request reads them).
func WithLocaleTTL(d time.Duration) Option { return func(s *Store) { s.localeTTL = d } }

// db is the transaction of the change ctx carries (pgtx), else the pool: the catalog's change
// path makes a write, its read back, its documents and its events one transaction.
func (s *Store) db(ctx context.Context) pgtx.Querier { return pgtx.DB(ctx, s.pool) }

// Atomically runs fn in one transaction that every store call with fn's ctx joins (pgtx).
func (s *Store) Atomically(ctx context.Context, fn func(ctx context.Context) error) error {
	return wrap(pgtx.Atomically(ctx, s.pool, fn))
}

// Snapshot runs fn in one REPEATABLE READ transaction that every store call with fn's ctx joins.
func (s *Store) Snapshot(ctx context.Context, fn func(ctx context.Context) error) error {
	return wrap(pgtx.Snapshot(ctx, s.pool, fn))
}

// inTx runs fn in the change's transaction, else in a new one (pgtx.InTx).
func (s *Store) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgtx.InTx(ctx, s.pool, fn)
}

// inChange reports whether ctx carries a change's transaction.
func inChange(ctx context.Context) bool { _, ok := pgtx.In(ctx); return ok }

var _ catalog.Store = (*Store)(nil)

var (
	wrap     = pgerr.Wrap
	notFound = pgerr.NotFound
)

func isForeignKeyViolation(err error) bool { _, ok := pgerr.ForeignKey(err); return ok }

func uniqueViolation(err error) (string, bool) { return pgerr.Unique(err) }

// deleteOne deletes a row: not found when none, a conflict when something still refers to it.
func deleteOne(ctx context.Context, s *Store, sql string, instance, id uuid.UUID, what, inUse string) error {
	tag, err := s.db(ctx).Exec(ctx, sql, instance, id)
	if isForeignKeyViolation(err) {
		return fault.Conflict("%s", inUse)
	}
	if err != nil {
		return wrap(err)
	}
	if tag.RowsAffected() == 0 {
		return fault.NotFound("no such %s", what)
	}
	return nil
}

// conflictError turns a unique violation that slipped past the checks (a concurrent write) into a
// conflict; other errors pass.
func conflictError(err error) error {
	if name, ok := uniqueViolation(err); ok {
		switch name {
		case "variants_sku":
			return fault.Conflict("a SKU of this request was taken by a concurrent request")
		case "variants_combination":
			return fault.Conflict("optionValues: another variant of this product has this combination of option values")
		}
		return fault.Conflict("the request conflicts with existing data")
	}
	if isForeignKeyViolation(err) {
		// Everything referenced was checked before the write: a concurrent request removed it.
		return fault.Conflict("something this request refers to was deleted by a concurrent request; read it again and retry")
	}
	return err
}

// missingOrChanged explains a conditional write to a row of table that touched nothing: the row
// is gone (not found) or its version moved on (precondition failed).
func missingOrChanged(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, table string, instance, id uuid.UUID, what string) error {
	var ok bool
	if err := q.QueryRow(ctx, `select exists(select 1 from `+table+` where instance_id = $1 and id = $2)`, instance, id).Scan(&ok); err != nil {
		return err
	}
	if ok {
		return precondition.Failed()
	}
	return fault.NotFound("no such %s", what)
}

func (s *Store) owner(ctx context.Context, sql string, instance, id uuid.UUID, what string) (uuid.UUID, error) {
	var pid uuid.UUID
	err := s.db(ctx).QueryRow(ctx, sql, instance, id).Scan(&pid)
	return pid, notFound(err, what)
}

// recordSeparator separates the records of joinRecords (ASCII RS): JSON text holds no raw
// control character, so it never occurs inside a JSON record.
const recordSeparator = 0x1e

// splitRecords is the SQL that splits the parameter param of joinRecords into its records.
func splitRecords(param string) string {
	return fmt.Sprintf("string_to_table(%s, chr(%d))", param, recordSeparator)
}

// joinRecords joins JSON texts into one parameter, split in SQL by splitRecords.
// Large texts (an import batch's events and documents, 2 MB) go faster so than as a text[]:
// pgx appends an array's elements one by one to a parameter buffer it shrinks back to 256 bytes
// after every statement, regrowing it by a quarter at a time (a sixth of an import's Go time
// was that copying); one text is appended at once.
func joinRecords(records [][]byte) ([]byte, error) {
	size := len(records)
	for _, r := range records {
		size += len(r)
	}
	out := make([]byte, 0, size)
	for i, r := range records {
		if bytes.IndexByte(r, recordSeparator) >= 0 {
			return nil, errors.New("postgres: a JSON record holds a raw control character")
		}
		if i > 0 {
			out = append(out, recordSeparator)
		}
		out = append(out, r...)
	}
	return out, nil
}
