// Package envconfig reads typed settings from the environment and collects every problem, so a
// service reports all of its configuration mistakes at start-up at once.
package envconfig

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// Reader reads settings through getenv.
type Reader struct {
	getenv func(string) string
	errs   []error
	vars   []Var
}

// Var is a setting a Reader was asked for, with its default ("" when it has none): what a
// service's --help lists, from the code that reads it.
type Var struct {
	Name, Default string
}

// Vars lists the settings asked for so far, in the order first asked.
func (r *Reader) Vars() []Var { return r.vars }

func (r *Reader) asked(name, def string) {
	for _, v := range r.vars {
		if v.Name == name {
			return
		}
	}
	r.vars = append(r.vars, Var{Name: name, Default: def})
}

// New returns a Reader; getenv nil means os.Getenv.
func New(getenv func(string) string) *Reader {
	if getenv == nil {
		getenv = os.Getenv
	}
	return &Reader{getenv: getenv}
}

// Fail records a problem found while checking the settings.
func (r *Reader) Fail(format string, args ...any) {
	r.errs = append(r.errs, fmt.Errorf(format, args...))
}

// Err returns every problem recorded, or nil.
func (r *Reader) Err() error {
	if len(r.errs) == 0 {
		return nil
	}
	return fmt.Errorf("configuration: %w", errors.Join(r.errs...))
}

// String returns the trimmed value of name, or def when unset.
func (r *Reader) String(name, def string) string {
	r.asked(name, def)
	if v := strings.TrimSpace(r.getenv(name)); v != "" {
		return v
	}
	return def
}

// List reads a comma-separated list (empty items dropped; default none).
func (r *Reader) List(name string) []string {
	var out []string
	for item := range strings.SplitSeq(r.String(name, ""), ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// Duration returns a positive duration (Go syntax: 15m, 720h).
func (r *Reader) Duration(name string, def time.Duration) time.Duration {
	return r.duration(name, def, false)
}

// DurationOrZero returns a duration that may be 0.
func (r *Reader) DurationOrZero(name string, def time.Duration) time.Duration {
	return r.duration(name, def, true)
}

func (r *Reader) duration(name string, def time.Duration, zeroOK bool) time.Duration {
	r.asked(name, def.String())
	v := r.getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 || (d == 0 && !zeroOK) {
		r.Fail("%s=%q: want a duration such as 5s or 15m", name, v)
		return def
	}
	return d
}

// Float returns a number in [min, max].
func (r *Reader) Float(name string, def, min, max float64) float64 {
	r.asked(name, strconv.FormatFloat(def, 'f', -1, 64))
	v := r.getenv(name)
	if v == "" {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < min || f > max {
		r.Fail("%s=%q: want a number from %g to %g", name, v, min, max)
		return def
	}
	return f
}

// LogLevel returns LOG_LEVEL, checked.
func (r *Reader) LogLevel() string {
	l := r.String("LOG_LEVEL", "info")
	switch l {
	case "debug", "info", "warn", "error":
	default:
		r.Fail("LOG_LEVEL=%q: want debug, info, warn or error", l)
	}
	return l
}

// Describe lists the settings read asks for, with their defaults, by running it against an empty
// environment: a config package's Variables, for --help.
func Describe(read func(r *Reader)) []Var {
	r := New(func(string) string { return "" })
	read(r)
	return r.Vars()
}

// IsHelp reports whether a command's first argument asks for its help.
func IsHelp(arg string) bool { return arg == "--help" || arg == "-h" || arg == "help" }

// PrintHelp writes a command's usage, then every setting it reads from the environment with its
// default (vars: its config package's Variables, so the list is the code's own).
func PrintHelp(w io.Writer, usage string, vars []Var) {
	fmt.Fprintln(w, strings.TrimSpace(usage))
	fmt.Fprintln(w, "\nEnvironment (default):")
	for _, v := range vars {
		def := v.Default
		if def == "" {
			def = "(none)"
		}
		fmt.Fprintf(w, "  %-34s %s\n", v.Name, def)
	}
	fmt.Fprintln(w, "  OTEL_EXPORTER_OTLP_ENDPOINT and the other OTEL_* variables turn tracing on (pkg/tracing).")
}
