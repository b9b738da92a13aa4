// Package pgcluster runs a private PostgreSQL cluster from the machine's own PostgreSQL binaries
// (initdb, pg_ctl): `make run` uses one when nothing answers at 127.0.0.1:5432, tests use one for
// the same reason and to take a database away under a running service. Clusters listen on loopback
// TCP only and trust local connections as the user "postgres".
package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// Options say where a cluster lives and how it runs.
type Options struct {
	Dir  string // the cluster's directory: data in Dir/data, the server log in Dir/postgres.log
	Port int    // the loopback TCP port
	// Fast turns off durability against an operating-system crash (fsync, full-page writes): for
	// throwaway test clusters. Commits still reach the WAL before they return, so a killed server
	// (Kill, in outage tests) loses nothing.
	Fast bool
	// BinDirs are searched for initdb and pg_ctl before the usual places; with OnlyBinDirs, only they.
	BinDirs     []string
	OnlyBinDirs bool
}

// Cluster is a private PostgreSQL cluster.
type Cluster struct {
	opts  Options
	bin   string   // the directory holding initdb and pg_ctl
	runAs []string // runuser prefix when this process is root (PostgreSQL refuses to run as root)
}

// URL returns the connection URL of the cluster's "postgres" database.
func (c *Cluster) URL() string { return c.URLOf("postgres") }

// URLOf returns the connection URL of the cluster's database named db.
func (c *Cluster) URLOf(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.opts.Port, db)
}

// New finds the binaries and prepares (but does not start) a cluster.
func New(opts Options) (*Cluster, error) {
	if opts.Dir == "" || opts.Port == 0 {
		return nil, errors.New("pgcluster: a directory and a port are required")
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, err
	}
	opts.Dir = dir
	bin, err := findBinaries(opts.BinDirs, opts.OnlyBinDirs)
	if err != nil {
		return nil, err
	}
	c := &Cluster{opts: opts, bin: bin}
	if os.Geteuid() == 0 {
		c.runAs = []string{"runuser", "-u", "postgres", "--"}
	}
	return c, nil
}

// Start makes sure the cluster runs: it answers already, or it is initialised (once) and started.
// Concurrent callers (several test binaries) are serialised by a lock file in the directory.
func (c *Cluster) Start(ctx context.Context) error {
	if Answers(ctx, c.URL()) {
		return nil
	}
	if err := c.prepareDir(); err != nil {
		return err
	}
	unlock, err := lockFile(filepath.Join(c.opts.Dir, "lock"))
	if err != nil {
		return err
	}
	defer unlock()
	if Answers(ctx, c.URL()) { // another process started it while we waited
		return nil
	}
	data := filepath.Join(c.opts.Dir, "data")
	if _, err := os.Stat(filepath.Join(data, "PG_VERSION")); err != nil {
		_ = os.RemoveAll(data) // a half-initialised directory from an interrupted run
		if err := c.run(ctx, "initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"); err != nil {
			return err
		}
	}
	settings := []string{"-p", strconv.Itoa(c.opts.Port), "-c", "listen_addresses=127.0.0.1",
		// No Unix socket: test directories can exceed the 107-byte socket path limit.
		"-c", "unix_socket_directories=", "-c", "max_connections=300"}
	if c.opts.Fast {
		settings = append(settings, "-c", "fsync=off", "-c", "full_page_writes=off")
	}
	if err := c.run(ctx, "pg_ctl", "-D", data, "-l", filepath.Join(c.opts.Dir, "postgres.log"), "-w", "-t", "60",
		"-o", strings.Join(settings, " "), "start"); err != nil {
		return fmt.Errorf("%w (server log: %s)", err, filepath.Join(c.opts.Dir, "postgres.log"))
	}
	if !Answers(ctx, c.URL()) {
		return fmt.Errorf("pgcluster: started, but nothing answers at %s", c.URL())
	}
	return nil
}

// Standby makes a streaming standby of c (which must run) as a cluster of its own in opts.Dir on
// opts.Port, and starts it: pg_basebackup -R with a physical replication slot named after the
// standby's port, so the primary keeps the WAL the standby has not received yet while it is down.
// settings are added to the standby's configuration (recovery_min_apply_delay = '2s', say). A
// standby made before in opts.Dir is started as it is.
func (c *Cluster) Standby(ctx context.Context, opts Options, settings ...string) (*Cluster, error) {
	if opts.BinDirs == nil {
		opts.BinDirs, opts.OnlyBinDirs = []string{c.bin}, true // the primary's version
	}
	s, err := New(opts)
	if err != nil {
		return nil, err
	}
	if err := s.prepareDir(); err != nil {
		return nil, err
	}
	data := filepath.Join(s.opts.Dir, "data")
	if _, err := os.Stat(filepath.Join(data, "PG_VERSION")); err != nil {
		_ = os.RemoveAll(data)
		slot := fmt.Sprintf("standby_%d", s.opts.Port)
		conn, err := pgx.Connect(ctx, c.URL())
		if err != nil {
			return nil, err
		}
		_, err = conn.Exec(ctx, `select pg_create_physical_replication_slot($1) where not exists (
			select 1 from pg_replication_slots where slot_name = $1)`, slot)
		conn.Close(ctx)
		if err != nil {
			return nil, fmt.Errorf("pgcluster: replication slot: %w", err)
		}
		if err := s.run(ctx, "pg_basebackup", "-h", "127.0.0.1", "-p", strconv.Itoa(c.opts.Port), "-U", "postgres",
			"-D", data, "-R", "-S", slot, "-X", "stream", "--no-sync", "-c", "fast"); err != nil {
			return nil, err
		}
		if len(settings) > 0 {
			f, err := os.OpenFile(filepath.Join(data, "postgresql.auto.conf"), os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				return nil, fmt.Errorf("pgcluster: %w", err)
			}
			_, err = f.WriteString(strings.Join(settings, "\n") + "\n")
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return nil, fmt.Errorf("pgcluster: %w", err)
			}
		}
	}
	return s, s.Start(ctx)
}

// Promote makes a standby the primary (pg_ctl promote, waiting until it accepts writes).
func (c *Cluster) Promote(ctx context.Context) error {
	return c.run(ctx, "pg_ctl", "-D", filepath.Join(c.opts.Dir, "data"), "-w", "promote")
}

// Crash kills the postmaster with SIGKILL, as `kill -9` would: no shutdown, no checkpoint; its
// backends end as they notice. It waits until the port no longer answers.
func (c *Cluster) Crash(ctx context.Context) error {
	pidFile, err := os.ReadFile(filepath.Join(c.opts.Dir, "data", "postmaster.pid"))
	if err != nil {
		return fmt.Errorf("pgcluster: not running: %w", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(pidFile), "\n", 2)[0]))
	if err != nil {
		return fmt.Errorf("pgcluster: postmaster.pid: %w", err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		return fmt.Errorf("pgcluster: kill -9 %d: %w", pid, err)
	}
	for deadline := time.Now().Add(30 * time.Second); Answers(ctx, c.URL()); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			return errors.New("pgcluster: the server still answers after kill -9")
		}
	}
	return nil
}

// Remove deletes the cluster's directory (its server must be stopped).
func (c *Cluster) Remove() error { return os.RemoveAll(c.opts.Dir) }

// Stop stops the cluster cleanly (pg_ctl -m fast: sessions are ended, then a checkpoint).
func (c *Cluster) Stop(ctx context.Context) error { return c.stop(ctx, "fast") }

// Kill stops the cluster at once, like a crash (pg_ctl -m immediate): connections are cut.
func (c *Cluster) Kill(ctx context.Context) error { return c.stop(ctx, "immediate") }

func (c *Cluster) stop(ctx context.Context, mode string) error {
	data := filepath.Join(c.opts.Dir, "data")
	if _, err := os.Stat(filepath.Join(data, "postmaster.pid")); err != nil {
		return nil // not running
	}
	return c.run(ctx, "pg_ctl", "-D", data, "-m", mode, "-w", "stop")
}

// prepareDir creates the directory and, as root, hands it to the postgres user.
func (c *Cluster) prepareDir() error {
	if err := os.MkdirAll(c.opts.Dir, 0o755); err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	if c.runAs == nil {
		return nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return fmt.Errorf("pgcluster: running as root needs a postgres user to run the server as: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(c.opts.Dir, uid, gid); err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	// The postgres user must be able to reach the directory: temporary directories are 0700.
	for d := filepath.Dir(c.opts.Dir); d != "/" && d != "."; d = filepath.Dir(d) {
		st, err := os.Stat(d)
		if err != nil {
			return fmt.Errorf("pgcluster: %w", err)
		}
		if st.Mode().Perm()&0o001 == 0 {
			if err := os.Chmod(d, st.Mode().Perm()|0o011); err != nil {
				return fmt.Errorf("pgcluster: %s is not reachable by the postgres user: %w", d, err)
			}
		}
	}
	return nil
}

func (c *Cluster) run(ctx context.Context, tool string, args ...string) error {
	argv := append(append([]string(nil), c.runAs...), filepath.Join(c.bin, tool))
	argv = append(argv, args...)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = c.opts.Dir
	// The server must outlive this process (and not get its signals): its own process group.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("pgcluster: %s: %v: %s", tool, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// Answers reports whether a PostgreSQL server accepts a connection at url within two seconds.
func Answers(ctx context.Context, url string) bool {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return false
	}
	_ = conn.Close(ctx)
	return true
}

// FreePort returns a loopback TCP port nothing listens on now.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	addr, ok := l.Addr().(*net.TCPAddr)
	if !ok {
		return 0, errors.New("pgcluster: not a TCP address")
	}
	return addr.Port, nil
}

// findBinaries returns the directory holding initdb and pg_ctl: the given ones, then
// `pg_config --bindir`, the newest /usr/lib/postgresql/*/bin, then $PATH.
func findBinaries(extra []string, only bool) (string, error) {
	dirs := append([]string(nil), extra...)
	if !only {
		if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
			dirs = append(dirs, strings.TrimSpace(string(out)))
		}
		versioned, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
		sort.Slice(versioned, func(i, j int) bool { return version(versioned[i]) > version(versioned[j]) })
		dirs = append(dirs, versioned...)
		dirs = append(dirs, filepath.SplitList(os.Getenv("PATH"))...)
	}
	for _, d := range dirs {
		if executable(filepath.Join(d, "initdb")) && executable(filepath.Join(d, "pg_ctl")) {
			return d, nil
		}
	}
	return "", errors.New("pgcluster: PostgreSQL's initdb and pg_ctl were not found (install the PostgreSQL server package)")
}

func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func executable(path string) bool {
	st, err := os.Stat(path)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

// lockFile takes an exclusive lock on path, blocking until it is free.
func lockFile(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("pgcluster: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("pgcluster: lock %s: %w", path, err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
