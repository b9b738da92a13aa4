package apitest

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"
)

// RenderedDOM loads url in headless Chromium, lets its scripts run, and returns the resulting DOM.
// Without a Chromium the test is skipped, except in CI (CI set), where it fails.
func RenderedDOM(tb testing.TB, url string) string {
	tb.Helper()
	var bin string
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			bin = p
			break
		}
	}
	if bin == "" {
		if os.Getenv("CI") != "" {
			tb.Fatal("apitest: no Chromium in CI")
		}
		tb.Skip("apitest: no Chromium installed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--user-data-dir="+tb.TempDir(), "--virtual-time-budget=15000", "--dump-dom", url)
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("apitest: chromium: %v", err)
	}
	return string(out)
}
