package pgerr

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/flowkiwi/platform/pkg/fault"
)

func pgError(code string) error {
	return fmt.Errorf("query: %w", &pgconn.PgError{Code: code, Message: "m"})
}

func TestWrapKinds(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		err  error
		want fault.Kind
	}{
		{"statement timeout", pgError("57014"), fault.KindUnavailable},
		{"admin shutdown", pgError("57P01"), fault.KindUnavailable},
		{"crash shutdown", pgError("57P02"), fault.KindUnavailable},
		{"starting up", pgError("57P03"), fault.KindUnavailable},
		{"too many connections", pgError("53300"), fault.KindUnavailable},
		{"connection failure", pgError("08006"), fault.KindUnavailable},
		{"lock timeout", pgError("55P03"), fault.KindUnavailable},
		{"read-only (failover)", pgError("25006"), fault.KindUnavailable},
		{"serialization failure", pgError("40001"), fault.KindUnavailable},
		{"deadlock", pgError("40P01"), fault.KindUnavailable},
		{"connection refused", &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, fault.KindUnavailable},
		{"pool wait bound", fmt.Errorf("acquire: %w", context.DeadlineExceeded), fault.KindUnavailable},
		{"connection cut", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), fault.KindUnavailable},
		{"closed connection", fmt.Errorf("x: %w", pgconn.ErrConnClosed), fault.KindUnavailable},
		{"unique violation", pgError("23505"), fault.KindInternal},
		{"syntax error", pgError("42601"), fault.KindInternal},
		{"a bug", errors.New("boom"), fault.KindInternal},
		{"fault passes through", fault.NotFound("no such thing"), fault.KindNotFound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got := Wrap(c.err)
			if k := fault.KindOf(got); k != c.want {
				t.Fatalf("kind %v, want %v (%v)", k, c.want, got)
			}
			if c.want == fault.KindUnavailable {
				var fe *fault.Error
				if !errors.As(got, &fe) || fe.RetryAfter <= 0 || !errors.Is(got, c.err) {
					t.Fatalf("an unavailable fault needs a Retry-After and its cause: %+v", fe)
				}
			}
		})
	}
	if Wrap(nil) != nil || Unavailable(nil) != nil {
		t.Fatal("nil must stay nil")
	}
	if err := NotFound(pgx.ErrNoRows, "widget"); fault.KindOf(err) != fault.KindNotFound {
		t.Fatalf("no rows: %v", err)
	}
}

func TestRetry(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		failures []error // what the attempts return, in order; then nil
		attempts int
		want     int // calls made
		wantErr  bool
	}{
		{"success at once", nil, 3, 1, false},
		{"serialization failure then success", []error{pgError("40001")}, 3, 2, false},
		{"deadlock twice then success", []error{pgError("40P01"), pgError("40P01")}, 3, 3, false},
		{"gives up after the bound", []error{pgError("40001"), pgError("40001"), pgError("40001"), pgError("40001")}, 3, 3, true},
		{"other errors are not retried", []error{pgError("23505")}, 3, 1, true},
		{"unavailable is not retried here", []error{pgError("57014")}, 3, 1, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			calls := 0
			err := Retry(context.Background(), c.attempts, func() error {
				calls++
				if calls <= len(c.failures) {
					return c.failures[calls-1]
				}
				return nil
			})
			if calls != c.want || (err != nil) != c.wantErr {
				t.Fatalf("calls %d (want %d), err %v (want error: %v)", calls, c.want, err, c.wantErr)
			}
		})
	}
}
