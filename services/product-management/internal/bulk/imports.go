package bulk

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/pkg/pgtx"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
)

// Limits of an import.
const (
	MaxLines     = 100_000
	MaxLineBytes = 1 << 20
	// RunningPerInstance is how many imports of an instance run at once; later ones wait.
	RunningPerInstance = 2
	// importBatch is how many lines a batch applies: its changes, events, results and progress
	// commit together.
	importBatch = 200
	// storedAtOnce and storedBytes bound what an upload holds before storing it: lines, bytes.
	storedAtOnce = 1000
	storedBytes  = 4 << 20
)

// Import is an import and where it stands.
type Import struct {
	ID                                    uuid.UUID
	Status                                string
	Locale                                string
	Lines, Processed                      int
	Created, Updated, Unchanged, Rejected int
	CancelRequested                       bool
	Error                                 *string
	CreatedAt                             time.Time
	StartedAt, FinishedAt                 *time.Time
	ExpiresAt                             time.Time
}

// Line is one line of an import file as stored: its text, or why it could not be kept.
type Line struct {
	N       int
	Body    []byte       // nil when the line could not be stored (Problem says why)
	Problem *LineProblem // set for a line refused as it arrived
}

// Result is what applying a line did.
type Result struct {
	N         int
	Key       *string
	Status    int       // 201, 200, 400, 409, 422
	Product   uuid.UUID // for 200 and 201
	Unchanged bool      // a 200 that wrote nothing
	Problem   *LineProblem
}

// LineProblem is why a line was rejected.
type LineProblem struct {
	Detail     string            `json:"detail,omitempty"`
	Violations []fault.Violation `json:"violations,omitempty"`
}

// Decoded is a line read as a product's state.
type Decoded struct {
	Key   string
	Input catalog.ProductInput
	Refs  []FoundRef // what the line named by key, and what that named (uuid.Nil: nothing)
	Err   error      // a 400 or 422: the line is rejected
}

// FoundRef is a reference by key and the id it named.
type FoundRef struct {
	catalog.KeyRef
	ID uuid.UUID
}

// Fingerprint is what a line that set a product leaves for the next import of the same line
// (migration 030): the line's digest and its references by key with what they named.
type Fingerprint struct {
	Product uuid.UUID
	Digest  []byte
	Refs    []FoundRef
}

// ImportStore keeps imports, their lines and results.
type ImportStore interface {
	// RecordEvents stores events of instance in the transaction of ctx, as it commits.
	RecordEvents(ctx context.Context, instance uuid.UUID, events []catalog.NewEvent) error
	CreateImport(ctx context.Context, instance uuid.UUID, im Import) error
	// StoreLines stores lines of an import (in the transaction of ctx).
	StoreLines(ctx context.Context, instance, id uuid.UUID, lines []Line) error
	SetImportLines(ctx context.Context, instance, id uuid.UUID, lines int) error
	Import(ctx context.Context, instance, id uuid.UUID) (Import, error)
	Imports(ctx context.Context, instance uuid.UUID, page, perPage int) ([]Import, int, error)
	// LockImport locks the import until the transaction of ctx ends and reads it.
	LockImport(ctx context.Context, instance, id uuid.UUID) (Import, error)
	// StartImport marks a queued import running when fewer than limit of its instance run (in the
	// transaction of ctx, serialised per instance); false when it must wait.
	StartImport(ctx context.Context, instance, id uuid.UUID, limit int) (bool, error)
	// PendingLines reads the next lines to apply: up to n after the first `after`.
	PendingLines(ctx context.Context, instance, id uuid.UUID, after, n int) ([]Line, error)
	// RecordResults stores the results of a batch and the import's progress.
	RecordResults(ctx context.Context, instance, id uuid.UUID, results []Result, im Import) error
	// RequestCancel asks a running import to stop, or cancels a queued one; it reports the import.
	RequestCancel(ctx context.Context, instance, id uuid.UUID) (Import, error)
	// Results reads up to n results of the lines after the first `after`, in order.
	Results(ctx context.Context, instance, id uuid.UUID, after, n int) ([]Result, error)
	// Fingerprints reads, by product key, the fingerprints of the products with keys that still
	// hold: no write since the line that left it.
	Fingerprints(ctx context.Context, instance uuid.UUID, keys []string) (map[string]Fingerprint, error)
	// RecordFingerprints stores what lines just applied leave, in the transaction that applied them.
	RecordFingerprints(ctx context.Context, instance uuid.UUID, fps []Fingerprint) error
}

// CreateImport stores an NDJSON file line by line as it is read, in the transaction of the
// request (so a refused or failed upload leaves nothing), and queues its import. A file of more
// than MaxLines lines is too large; its first line must be a JSON object (a 400 otherwise: it is
// no NDJSON file); later lines too long or not UTF-8 are stored as rejected lines.
func (s *Service) CreateImport(ctx context.Context, instance uuid.UUID, locale string, file io.Reader) (Import, error) {
	now := s.now().UTC().Truncate(time.Microsecond)
	im := Import{ID: uuid.Must(uuid.NewV7()), Status: Queued, Locale: locale, CreatedAt: now, ExpiresAt: now.Add(Kept)}
	err := s.store.Atomically(ctx, func(ctx context.Context) error {
		if err := s.store.CreateImport(ctx, instance, im); err != nil {
			return err
		}
		r := bufio.NewReaderSize(file, 64<<10)
		batch := make([]Line, 0, storedAtOnce)
		n, held := 0, 0
		for {
			body, tooLong, err := readLine(r)
			if err == io.EOF {
				break
			}
			if err != nil {
				return readFailure(err)
			}
			n++
			if n > MaxLines {
				return &fault.Error{Kind: fault.KindTooLarge, Detail: fmt.Sprintf("an import takes at most %d lines", MaxLines)}
			}
			line := Line{N: n, Body: body}
			switch {
			case tooLong:
				line = Line{N: n, Problem: &LineProblem{Detail: fmt.Sprintf("the line is longer than %d bytes", MaxLineBytes)}}
			case !utf8.Valid(body) || bytes.IndexByte(body, 0) >= 0:
				line = Line{N: n, Problem: &LineProblem{Detail: "the line is not valid UTF-8 text"}}
			}
			if n == 1 && (line.Problem != nil || !startsObject(body)) {
				return fault.BadRequest("the body is not NDJSON: its first line must be a JSON object")
			}
			batch = append(batch, line)
			held += len(line.Body)
			if len(batch) == storedAtOnce || held >= storedBytes {
				if err := s.store.StoreLines(ctx, instance, im.ID, batch); err != nil {
					return err
				}
				batch, held = batch[:0], 0
			}
		}
		if n == 0 {
			return fault.BadRequest("the body is empty: an import needs at least one line")
		}
		if err := s.store.StoreLines(ctx, instance, im.ID, batch); err != nil {
			return err
		}
		if err := s.store.SetImportLines(ctx, instance, im.ID, n); err != nil {
			return err
		}
		tx, _ := pgtx.In(ctx)
		return s.enqueue(ctx, tx, importArgs{Instance: instance, Import: im.ID})
	})
	if err != nil {
		return Import{}, err
	}
	return s.store.Import(ctx, instance, im.ID)
}

// readLine reads one line without its end (\n or \r\n); a line longer than MaxLineBytes is read
// to its end and reported too long, without its text. io.EOF once no line is left.
func readLine(r *bufio.Reader) (line []byte, tooLong bool, err error) {
	var buf []byte
	for {
		part, isPrefix, err := r.ReadLine()
		if err != nil {
			if err == io.EOF && (buf != nil || tooLong) {
				return buf, tooLong, nil
			}
			return nil, false, err
		}
		if !tooLong {
			if len(buf)+len(part) > MaxLineBytes {
				tooLong, buf = true, nil
			} else {
				buf = append(buf, part...)
			}
		}
		if !isPrefix {
			if buf == nil && !tooLong {
				buf = []byte{}
			}
			return buf, tooLong, nil
		}
	}
}

func startsObject(b []byte) bool {
	b = bytes.TrimLeft(b, " \t")
	return len(b) > 0 && b[0] == '{'
}

func readFailure(err error) error {
	var fe *fault.Error
	if errors.As(err, &fe) {
		return err
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return &fault.Error{Kind: fault.KindTooLarge, Detail: fmt.Sprintf("the request body is larger than %d bytes", mbe.Limit)}
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return err
	}
	return &fault.Error{Kind: fault.KindBadRequest, Detail: "the body could not be read to its end", Err: err}
}

// Import reads one import.
func (s *Service) Import(ctx context.Context, instance, id uuid.UUID) (Import, error) {
	return s.store.Import(ctx, instance, id)
}

// Imports lists a page of imports, newest first.
func (s *Service) Imports(ctx context.Context, instance uuid.UUID, page, perPage int) ([]Import, int, error) {
	return s.store.Imports(ctx, instance, page, perPage)
}

// CancelImport cancels a queued import at once and a running one before its next batch; a
// finished one is a conflict.
func (s *Service) CancelImport(ctx context.Context, instance, id uuid.UUID) (Import, error) {
	im, err := s.store.RequestCancel(ctx, instance, id)
	if err != nil {
		return im, err
	}
	if im.Status != Queued && im.Status != Running && im.Status != Canceled {
		return im, fault.Conflict("the import has %s; there is nothing to cancel", im.Status)
	}
	return im, nil
}

// Results pages through the results of the lines applied so far, in line order.
func (s *Service) Results(ctx context.Context, instance, id uuid.UUID, after, n int) ([]Result, error) {
	if _, err := s.store.Import(ctx, instance, id); err != nil {
		return nil, err
	}
	return s.store.Results(ctx, instance, id, after, n)
}

// errWait is an import that must wait for a running one of its instance to finish.
var errWait = errors.New("bulk: the instance runs as many imports as it may")

// lineFailed is a batch stopped by a line whose write the database refused (a SKU or key
// another product has): the batch runs again without it.
type lineFailed struct {
	n   int
	key string
	err error
}

func (e *lineFailed) Error() string { return fmt.Sprintf("bulk: line %d: %v", e.n, e.err) }

// runBatch applies the next batch of an import in one transaction with its results and progress,
// and then next (which may queue the import's next job), or finishes the import with its event.
// It reports whether the import is over.
func (s *Service) runBatch(ctx context.Context, instance, id uuid.UUID, next func(ctx context.Context) error) (bool, error) {
	refused := map[int]*lineFailed{} // lines the database refused, rejected on the next run
	oneByOne := false
	for {
		over := false
		err := s.store.Atomically(ctx, func(ctx context.Context) error {
			over = false
			im, err := s.store.LockImport(ctx, instance, id)
			if err != nil {
				return err
			}
			switch im.Status {
			case Completed, Failed, Canceled:
				over = true
				return nil
			case Queued:
				ok, err := s.store.StartImport(ctx, instance, id, RunningPerInstance)
				if err != nil {
					return err
				}
				if !ok {
					return errWait
				}
				im.Status = Running
			}
			if im.CancelRequested {
				im.Status, over = Canceled, true
				return s.finish(ctx, instance, im, nil)
			}
			lines, err := s.store.PendingLines(ctx, instance, id, im.Processed, importBatch)
			if err != nil {
				return err
			}
			results, err := s.apply(ctx, instance, im.Locale, lines, refused, oneByOne)
			if err != nil {
				return err
			}
			im.Processed += len(lines)
			count(&im, results)
			if im.Processed >= im.Lines {
				im.Status, over = Completed, true
				return s.finish(ctx, instance, im, results)
			}
			if err := s.store.RecordResults(ctx, instance, id, results, im); err != nil {
				return err
			}
			return next(ctx)
		})
		var lf *lineFailed
		switch {
		case errors.As(err, &lf):
			refused[lf.n] = lf
			continue
		case errors.Is(err, errOneByOne):
			oneByOne = true
			continue
		}
		return over, err
	}
}

// count adds a batch's outcomes to the import's counts.
func count(im *Import, results []Result) {
	for _, r := range results {
		switch {
		case r.Status == 201:
			im.Created++
		case r.Status == 200 && r.Unchanged:
			im.Unchanged++
		case r.Status == 200:
			im.Updated++
		default:
			im.Rejected++
		}
	}
}

// finish records an import's last results and its end, with its event.
func (s *Service) finish(ctx context.Context, instance uuid.UUID, im Import, results []Result) error {
	now := s.now().UTC()
	im.FinishedAt = &now
	if err := s.store.RecordResults(ctx, instance, im.ID, results, im); err != nil {
		return err
	}
	if im.Status == Canceled {
		return nil
	}
	kind := "import.completed"
	if im.Status == Failed {
		kind = "import.failed"
	}
	data, err := s.codec.ImportEvent(im)
	if err != nil {
		return err
	}
	return s.store.RecordEvents(ctx, instance, []catalog.NewEvent{{ID: uuid.Must(uuid.NewV7()), Type: kind, Resource: im.ID.String(), Data: data}})
}

// apply applies lines in the transaction of ctx: those an earlier import left as they are
// recognised at once (recognise), the others together (applyBatch) or, once the database refused
// a batch as a whole, each line's product alone (applyOneByOne).
func (s *Service) apply(ctx context.Context, instance uuid.UUID, locale string, lines []Line, refused map[int]*lineFailed, oneByOne bool) ([]Result, error) {
	results := make([]Result, len(lines))
	todo := make([]int, 0, len(lines))
	for i, l := range lines {
		results[i] = Result{N: l.N}
		switch {
		case l.Problem != nil:
			results[i].Status, results[i].Problem = 400, l.Problem
		case refused[l.N] != nil:
			results[i].Status, results[i].Problem, results[i].Key = 409, problemOf(refused[l.N].err), &refused[l.N].key
		default:
			todo = append(todo, i)
		}
	}
	todo, err := s.recognise(ctx, instance, locale, lines, todo, results)
	if err != nil || len(todo) == 0 {
		return results, err
	}
	bodies := make([][]byte, len(todo))
	for k, i := range todo {
		bodies[k] = lines[i].Body
	}
	decoded, err := s.codec.ImportLines(ctx, bodies, func(ctx context.Context, refs []catalog.KeyRef) (map[catalog.KeyRef]uuid.UUID, error) {
		return s.catalog.IDsOfKeys(ctx, instance, refs)
	})
	if err != nil {
		return nil, err
	}
	for k, d := range decoded {
		if d.Key != "" {
			key := d.Key
			results[todo[k]].Key = &key
		}
		if d.Err != nil {
			results[todo[k]].Status, results[todo[k]].Problem = statusOf(d.Err), problemOf(d.Err)
		}
	}
	if oneByOne {
		err = s.applyOneByOne(ctx, instance, locale, decoded, todo, results)
	} else {
		err = s.applyBatch(ctx, instance, locale, decoded, todo, results)
	}
	if err != nil {
		return nil, err
	}
	return results, s.remember(ctx, instance, locale, lines, decoded, todo, results)
}

// applyOneByOne sets each decoded line's product alone: a line the database refuses stops the
// batch (lineFailed) so it runs again without it.
func (s *Service) applyOneByOne(ctx context.Context, instance uuid.UUID, locale string, decoded []Decoded, at []int, results []Result) error {
	for k, d := range decoded {
		if d.Err != nil {
			continue
		}
		r := &results[at[k]]
		v, outcome, err := s.catalog.SetProduct(ctx, instance, locale, d.Key, d.Input, 0)
		switch {
		case err == nil:
			r.Product = v.Products[0].ID
			r.Status = 200
			if outcome == catalog.SetCreated {
				r.Status = 201
			}
			r.Unchanged = outcome == catalog.SetUnchanged
		case fault.Is(err, fault.KindUnprocessable) || fault.Is(err, fault.KindBadRequest):
			r.Status, r.Problem = statusOf(err), problemOf(err) // refused before any write
		case fault.Is(err, fault.KindConflict):
			return &lineFailed{n: r.N, key: d.Key, err: err}
		default:
			return err
		}
	}
	return nil
}

// errOneByOne is a batch the database refused as a whole: it runs again a line at a time, to
// reject only the line at fault.
var errOneByOne = errors.New("bulk: the batch runs again line by line")

// applyBatch sets the decoded lines' products together (catalog.SetProducts).
func (s *Service) applyBatch(ctx context.Context, instance uuid.UUID, locale string, decoded []Decoded, at []int, results []Result) error {
	lines := make([]catalog.SetLine, 0, len(decoded))
	set := make([]int, 0, len(decoded)) // the result of each line set
	for k, d := range decoded {
		if d.Err != nil {
			continue
		}
		lines = append(lines, catalog.SetLine{Key: d.Key, Input: d.Input})
		set = append(set, at[k])
	}
	if len(lines) == 0 {
		return nil
	}
	out, err := s.catalog.SetProducts(ctx, instance, locale, lines)
	if errors.Is(err, catalog.ErrBatchConflict) {
		return errOneByOne
	}
	if err != nil {
		return err
	}
	for k, o := range out {
		r := &results[set[k]]
		switch {
		case o.Err != nil:
			r.Status, r.Problem = statusOf(o.Err), problemOf(o.Err)
		case o.Outcome == catalog.SetCreated:
			r.Status, r.Product = 201, o.Product
		default:
			r.Status, r.Product, r.Unchanged = 200, o.Product, o.Outcome == catalog.SetUnchanged
		}
	}
	return nil
}

func statusOf(err error) int {
	switch fault.KindOf(err) {
	case fault.KindBadRequest:
		return 400
	case fault.KindConflict:
		return 409
	}
	return 422
}

func problemOf(err error) *LineProblem {
	var fe *fault.Error
	if !errors.As(err, &fe) {
		return &LineProblem{Detail: "the line could not be applied"}
	}
	return &LineProblem{Detail: fe.Detail, Violations: fe.Violations}
}

type importArgs struct {
	Instance uuid.UUID `json:"instance"`
	Import   uuid.UUID `json:"import"`
}

func (importArgs) Kind() string { return "catalog_import" }

type importWorker struct {
	river.WorkerDefaults[importArgs]
	s *Service
}

// jobBudget is how long a job applies batches before it hands over to the next job (queued in
// its last batch's transaction): short jobs leave River's rescue of a killed one meaningful, and
// batches in one job do not wait for River to fetch each.
const jobBudget = 10 * time.Second

// Timeout leaves a job its budget and its last batch.
func (w *importWorker) Timeout(*river.Job[importArgs]) time.Duration { return time.Minute }

// Work applies batches, each in its own transaction with its results and progress; a crash loses
// at most the batch in flight, which the rescued job applies again from the stored progress.
func (w *importWorker) Work(ctx context.Context, job *river.Job[importArgs]) error {
	a := job.Args
	start := time.Now()
	for {
		last := time.Since(start) > jobBudget
		over, err := w.s.runBatch(ctx, a.Instance, a.Import, func(ctx context.Context) error {
			if !last {
				return nil
			}
			tx, _ := pgtx.In(ctx)
			if _, err := river.JobCompleteTx[*riverpgxv5.Driver](ctx, tx, job); err != nil {
				return err
			}
			return w.s.enqueue(ctx, tx, a)
		})
		switch {
		case errors.Is(err, errWait):
			return river.JobSnooze(2 * time.Second)
		case fault.Is(err, fault.KindNotFound):
			return nil // expired
		case err != nil && job.Attempt >= job.MaxAttempts:
			// River gives the job up: the import must not stay running for ever.
			w.s.logger.Error("import failed", "instance", a.Instance, "import", a.Import, "error", err)
			return w.s.failImport(ctx, a.Instance, a.Import)
		case err != nil:
			return err
		case over || last:
			return nil
		}
	}
}

// failImport ends an import that cannot go on, with its event.
func (s *Service) failImport(ctx context.Context, instance, id uuid.UUID) error {
	return s.store.Atomically(ctx, func(ctx context.Context) error {
		im, err := s.store.LockImport(ctx, instance, id)
		if err != nil || im.Status == Completed || im.Status == Canceled || im.Status == Failed {
			return err
		}
		im.Status = Failed
		reason := "the import stopped after repeated failures; the lines applied so far stay applied"
		im.Error = &reason
		return s.finish(ctx, instance, im, nil)
	})
}
