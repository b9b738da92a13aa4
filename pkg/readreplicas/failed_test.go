package readreplicas

import (
	"context"
	"errors"
	"fmt"
	"io"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// A read that failed on a standby runs again on the primary only when the standby could not
// serve it (and then leaves the rotation) or refused it for being a standby.
func TestStandbyFailed(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name         string
		err          error
		retry, leave bool
	}{
		{"shutting down", &pgconn.PgError{Code: "57P01"}, true, true},
		{"starting up", &pgconn.PgError{Code: "57P03"}, true, true},
		{"connection failure", &pgconn.PgError{Code: "08006"}, true, true},
		{"refused", fmt.Errorf("read: %w", syscall.ECONNREFUSED), true, true},
		{"reset", fmt.Errorf("read: %w", syscall.ECONNRESET), true, true},
		{"cut off", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), true, true},
		{"a write on a standby", &pgconn.PgError{Code: "25006"}, true, false},
		{"a conflict with recovery", &pgconn.PgError{Code: "40001", Message: "canceling statement due to conflict with recovery"}, true, false},
		{"a serialization failure", &pgconn.PgError{Code: "40001", Message: "could not serialize access"}, false, false},
		{"the statement timeout", &pgconn.PgError{Code: "57014"}, false, false},
		{"too many connections", &pgconn.PgError{Code: "53300"}, false, false},
		{"a bad statement", &pgconn.PgError{Code: "42601"}, false, false},
		{"the request's deadline", context.DeadlineExceeded, false, false},
		{"anything else", errors.New("no such product"), false, false},
	} {
		retry, leave := standbyFailed(fmt.Errorf("store: %w", tc.err))
		if retry != tc.retry || leave != tc.leave {
			t.Errorf("%s: retry %v, leave %v; want %v, %v", tc.name, retry, leave, tc.retry, tc.leave)
		}
	}
}
