package bulk

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/pkg/pgtx"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
)

// Export statuses.
const (
	Queued    = "queued"
	Running   = "running"
	Completed = "completed"
	Failed    = "failed"
	Canceled  = "canceled"
)

// ExportFilters select the products of an export, as the product list's filters do.
type ExportFilters struct {
	Status                      *catalog.Status `json:"status,omitempty"`
	Vendor                      *string         `json:"vendor,omitempty"`
	Tags                        []string        `json:"tags,omitempty"`
	Channel                     *uuid.UUID      `json:"channel,omitempty"`
	Collection                  *uuid.UUID      `json:"collection,omitempty"`
	CreatedAfter, CreatedBefore *time.Time      `json:",omitempty"`
	UpdatedAfter, UpdatedBefore *time.Time      `json:",omitempty"`
}

// query is the walk of the products f selects, in creation order.
func (f ExportFilters) query() catalog.ListQuery {
	return catalog.ListQuery{Cursor: &catalog.Cursor{}, PerPage: exportPage, OrderBy: "created_at", Status: f.Status, Vendor: f.Vendor,
		Tags: f.Tags, Channel: f.Channel, Collection: f.Collection, CreatedAfter: f.CreatedAfter, CreatedBefore: f.CreatedBefore,
		UpdatedAfter: f.UpdatedAfter, UpdatedBefore: f.UpdatedBefore}
}

// Export is an export and where it stands.
type Export struct {
	ID       uuid.UUID
	Status   string
	Filters  ExportFilters
	Locale   string
	Products int
	// EventsPosition is the instance's feed position in the export's snapshot (once completed).
	EventsPosition *catalog.EventPosition
	Error          *string
	CreatedAt      time.Time
	StartedAt      *time.Time
	FinishedAt     *time.Time
	ExpiresAt      time.Time
}

// ExportStore keeps exports and their files.
type ExportStore interface {
	// Atomically runs fn in one transaction that every store call with fn's ctx joins.
	Atomically(ctx context.Context, fn func(ctx context.Context) error) error
	// Snapshot is Atomically in one snapshot of the database (REPEATABLE READ).
	Snapshot(ctx context.Context, fn func(ctx context.Context) error) error
	CreateExport(ctx context.Context, instance uuid.UUID, e Export) error
	Export(ctx context.Context, instance, id uuid.UUID) (Export, error)
	Exports(ctx context.Context, instance uuid.UUID, page, perPage int) ([]Export, int, error)
	// StartExport marks a queued export running, in a transaction of its own, and returns it.
	StartExport(ctx context.Context, instance, id uuid.UUID) (Export, error)
	// LockExport locks the export until the transaction of ctx ends; held is false when another
	// attempt holds it.
	LockExport(ctx context.Context, instance, id uuid.UUID) (held bool, err error)
	// FeedPosition is the instance's feed position as the transaction of ctx sees it.
	FeedPosition(ctx context.Context, instance uuid.UUID) (catalog.EventPosition, error)
	AddExportChunk(ctx context.Context, instance, id uuid.UUID, n int, body []byte) error
	FinishExport(ctx context.Context, instance, id uuid.UUID, products int, at catalog.EventPosition) error
	FailExport(ctx context.Context, instance, id uuid.UUID, reason string) error
	// ExportChunk reads chunk n of the export's file (found false past its end).
	ExportChunk(ctx context.Context, instance, id uuid.UUID, n int) (body []byte, found bool, err error)
	// ExpireBulk removes the exports and imports kept past their expiry.
	ExpireBulk(ctx context.Context) (int64, error)
}

// Service runs exports and imports.
type Service struct {
	store   Store
	catalog Catalog
	codec   Codec
	enqueue Enqueue
	logger  *slog.Logger
	now     func() time.Time
}

// NewService returns a Service; Register adds its workers to River's.
func NewService(store Store, cat Catalog, codec Codec, enqueue Enqueue, logger *slog.Logger) *Service {
	return &Service{store: store, catalog: cat, codec: codec, enqueue: enqueue, logger: logger, now: time.Now}
}

// Register adds the bulk workers to workers.
func (s *Service) Register(workers *river.Workers) {
	river.AddWorker(workers, &exportWorker{s: s})
	river.AddWorker(workers, &importWorker{s: s})
}

// exportPage is how many products an export reads at a time; exportChunk about how many bytes of
// lines it stores at a time.
const (
	exportPage  = 250
	exportChunk = 1 << 20
)

// CreateExport queues an export of the products f selects, its texts in locale.
func (s *Service) CreateExport(ctx context.Context, instance uuid.UUID, locale string, f ExportFilters) (Export, error) {
	now := s.now().UTC().Truncate(time.Microsecond)
	e := Export{ID: uuid.Must(uuid.NewV7()), Status: Queued, Filters: f, Locale: locale, CreatedAt: now, ExpiresAt: now.Add(Kept)}
	err := s.store.Atomically(ctx, func(ctx context.Context) error {
		if err := s.store.CreateExport(ctx, instance, e); err != nil {
			return err
		}
		tx, _ := pgtx.In(ctx)
		return s.enqueue(ctx, tx, exportArgs{Instance: instance, Export: e.ID})
	})
	if err != nil {
		return Export{}, err
	}
	return s.store.Export(ctx, instance, e.ID)
}

// Export reads one export.
func (s *Service) Export(ctx context.Context, instance, id uuid.UUID) (Export, error) {
	return s.store.Export(ctx, instance, id)
}

// Exports lists a page of exports, newest first.
func (s *Service) Exports(ctx context.Context, instance uuid.UUID, page, perPage int) ([]Export, int, error) {
	return s.store.Exports(ctx, instance, page, perPage)
}

// Download is a completed export's file, read a chunk at a time as it is read (a conflict while
// the export is not completed).
func (s *Service) Download(ctx context.Context, instance, id uuid.UUID) (io.Reader, error) {
	e, err := s.store.Export(ctx, instance, id)
	if err != nil {
		return nil, err
	}
	if e.Status != Completed {
		return nil, fault.Conflict("the export is %s; download it once it is completed", e.Status)
	}
	return &chunks{next: func(n int) ([]byte, bool, error) { return s.store.ExportChunk(ctx, instance, id, n) }}, nil
}

// chunks reads a file stored in numbered chunks.
type chunks struct {
	next func(n int) ([]byte, bool, error)
	n    int
	cur  []byte
	done bool
}

func (c *chunks) Read(p []byte) (int, error) {
	for len(c.cur) == 0 {
		if c.done {
			return 0, io.EOF
		}
		body, ok, err := c.next(c.n)
		if err != nil {
			return 0, err
		}
		c.n++
		c.cur, c.done = body, !ok
	}
	n := copy(p, c.cur)
	c.cur = c.cur[n:]
	return n, nil
}

// Expire removes what is kept past its expiry.
func (s *Service) Expire(ctx context.Context) (int64, error) { return s.store.ExpireBulk(ctx) }

// errBusy is an attempt that found another one running the same export.
var errBusy = errors.New("bulk: another attempt holds the export")

// runExport writes export e's file from one snapshot of the catalog, with the feed's position in
// that snapshot: every change with an event at or before it is in the file, and none after it.
func (s *Service) runExport(ctx context.Context, instance uuid.UUID, e Export) error {
	return s.store.Snapshot(ctx, func(ctx context.Context) error {
		held, err := s.store.LockExport(ctx, instance, e.ID)
		if err != nil {
			return err
		}
		if !held {
			return errBusy
		}
		at, err := s.store.FeedPosition(ctx, instance)
		if err != nil {
			return err
		}
		refs, err := s.refs(ctx, instance)
		if err != nil {
			return err
		}
		q := e.Filters.query()
		read := catalog.Read{Locale: catalog.ReadLocale{Code: e.Locale}, Expand: catalog.Expand{Medias: true, Category: true, Collections: true}}
		var buf bytes.Buffer
		chunk, n := 0, 0
		flush := func() error {
			if buf.Len() == 0 {
				return nil
			}
			err := s.store.AddExportChunk(ctx, instance, e.ID, chunk, buf.Bytes())
			chunk++
			buf.Reset()
			return err
		}
		for {
			v, _, next, err := s.catalog.ListProducts(ctx, instance, q, read)
			if err != nil {
				return err
			}
			for _, p := range v.Products {
				line, err := s.codec.ExportLine(v, p, refs)
				if err != nil {
					return err
				}
				buf.Write(line)
				buf.WriteByte('\n')
				n++
				if buf.Len() >= exportChunk {
					if err := flush(); err != nil {
						return err
					}
				}
			}
			if next == nil || len(v.Products) == 0 {
				break
			}
			q.Cursor = next
		}
		if err := flush(); err != nil {
			return err
		}
		return s.store.FinishExport(ctx, instance, e.ID, n, at)
	})
}

// refs reads every channel and attribute of the instance.
func (s *Service) refs(ctx context.Context, instance uuid.UUID) (Refs, error) {
	r := Refs{Channels: map[uuid.UUID]catalog.Channel{}, Attributes: map[uuid.UUID]catalog.Attribute{}}
	channels, err := s.catalog.Channels(ctx, instance)
	if err != nil {
		return r, err
	}
	for _, c := range channels {
		r.Channels[c.ID] = c
	}
	for page := 1; ; page++ {
		list, total, err := s.catalog.Attributes(ctx, instance, catalog.ReadLocale{}, page, 500)
		if err != nil {
			return r, err
		}
		for _, a := range list {
			r.Attributes[a.ID] = a
		}
		if len(list) == 0 || page*500 >= total {
			return r, nil
		}
	}
}

type exportArgs struct {
	Instance uuid.UUID `json:"instance"`
	Export   uuid.UUID `json:"export"`
}

func (exportArgs) Kind() string { return "catalog_export" }

type exportWorker struct {
	river.WorkerDefaults[exportArgs]
	s *Service
}

// Timeout lets an export read a large catalog; an attempt River takes for stuck meanwhile finds
// the export locked and waits (errBusy).
func (w *exportWorker) Timeout(*river.Job[exportArgs]) time.Duration { return time.Hour }

func (w *exportWorker) Work(ctx context.Context, job *river.Job[exportArgs]) error {
	a := job.Args
	e, err := w.s.store.StartExport(ctx, a.Instance, a.Export)
	if fault.Is(err, fault.KindNotFound) {
		return nil // expired before it ran
	}
	if err != nil {
		return err
	}
	if e.Status != Running {
		return nil // done by an earlier attempt
	}
	err = w.s.runExport(ctx, a.Instance, e)
	switch {
	case errors.Is(err, errBusy):
		return river.JobSnooze(15 * time.Second)
	case err != nil && job.Attempt >= job.MaxAttempts:
		w.s.logger.Error("export failed", "instance", a.Instance, "export", a.Export, "error", err)
		return w.s.store.FailExport(ctx, a.Instance, a.Export, "the export could not be written; start another")
	}
	return err
}
