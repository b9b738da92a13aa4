package periodic

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestDrainStopsAtAShortBatch(t *testing.T) {
	t.Parallel()
	left := int64(25)
	steps := 0
	n, err := Drain(context.Background(), 10, func(context.Context) (int64, error) {
		steps++
		done := min(left, 10)
		left -= done
		return done, nil
	})
	if err != nil || n != 25 || steps != 3 {
		t.Fatalf("Drain = %d, %v after %d steps; want 25 after 3", n, err, steps)
	}
	boom := errors.New("boom")
	if n, err := Drain(context.Background(), 10, func(context.Context) (int64, error) { return 10, boom }); !errors.Is(err, boom) || n != 10 {
		t.Fatalf("Drain with a failing step = %d, %v", n, err)
	}
}

func TestRunRunsAtOnceThenEveryPeriodAndLogs(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, nil))
	ctx, cancel := context.WithCancel(context.Background())
	rounds := 0
	done := make(chan struct{})
	go func() {
		Run(ctx, 10*time.Millisecond, logger, "expired things", func(context.Context) (int64, error) {
			rounds++
			switch rounds {
			case 1:
				return 2, nil
			case 2:
				return 0, errors.New("db down")
			case 3:
				cancel()
			}
			return 0, nil
		})
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop with its ctx")
	}
	out := buf.String()
	if rounds != 3 || !strings.Contains(out, "expired things") || !strings.Contains(out, "count=2") || !strings.Contains(out, "expired things failed") {
		t.Fatalf("after %d rounds the log says:\n%s", rounds, out)
	}
}
