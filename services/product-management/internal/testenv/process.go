package testenv

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildMu sync.Mutex
	built   = map[string]string{} // package and tags -> binary
)

// Binary builds a command of this workspace once per test process (with the failpoints tag when
// failpoints is set) and returns its path.
func Binary(tb testing.TB, pkg string, failpoints bool) string {
	tb.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	key := fmt.Sprint(pkg, failpoints)
	if bin, ok := built[key]; ok {
		return bin
	}
	dir, err := os.MkdirTemp("", "flowkiwi-bin-")
	if err != nil {
		tb.Fatal(err)
	}
	bin := filepath.Join(dir, filepath.Base(pkg))
	args := []string{"build", "-o", bin}
	if failpoints {
		args = append(args, "-tags", "failpoints")
	}
	out, err := exec.Command("go", append(args, pkg)...).CombinedOutput()
	if err != nil {
		tb.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	built[key] = bin
	return bin
}

// Process is a service binary run as a child process. It listens on a loopback port the kernel
// picks at its first start (the process logs where), and again there after a restart, so its
// clients keep its address.
type Process struct {
	tb    testing.TB
	Name  string
	Bin   string
	Args  []string
	Env   func() []string
	Ready string // a path that answers 200 once the process serves
	URL   string // set by Start; read it when no restart can be under way

	addr string
	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when the running process has exited
	log  *tail
}

// Start starts the process (it must not be running) and waits until Ready answers 200; the test
// fails when it does not.
func (p *Process) Start() {
	p.tb.Helper()
	if err := p.TryStart(); err != nil {
		p.tb.Fatal(err)
	}
}

// TryStart is Start reporting its failure instead (for goroutines, which may not end the test).
func (p *Process) TryStart() error {
	p.mu.Lock()
	addr := p.addr
	p.mu.Unlock()
	cmd := exec.Command(p.Bin, p.Args...)
	cmd.Env = append(p.Env(), "HTTP_ADDR="+addr)
	dieWithParent(cmd)
	logs, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	bound := make(chan string, 1)
	log := &tail{}
	go func() {
		// The "listening" line names the bound address; the last lines are kept for failures.
		sc := bufio.NewScanner(logs)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			log.add(sc.Text())
			var line struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "listening" {
				select {
				case bound <- line.Addr:
				default:
				}
			}
		}
		_ = cmd.Wait()
		close(done)
	}()
	p.mu.Lock()
	p.cmd, p.done, p.log = cmd, done, log
	p.mu.Unlock()
	var url string
	select {
	case addr := <-bound:
		url = "http://" + addr
		p.mu.Lock()
		p.addr, p.URL = addr, url
		p.mu.Unlock()
	case <-done:
		return fmt.Errorf("%s exited at start:\n%s", p.Name, log)
	case <-time.After(30 * time.Second):
		return fmt.Errorf("%s did not say where it listens:\n%s", p.Name, log)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url + p.Ready)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-done:
			return fmt.Errorf("%s exited while starting:\n%s", p.Name, log)
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s did not get ready:\n%s", p.Name, log)
}

// Kill ends the process at once (SIGKILL) and waits for it; nothing when it is not running.
func (p *Process) Kill() {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-done
}

// Exited is closed when the running process has exited (killed, or by a failpoint).
func (p *Process) Exited() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.done
}

// Killed reports whether the last process ended by SIGKILL.
func (p *Process) Killed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil || p.cmd.ProcessState == nil {
		return false
	}
	ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}

// Pid is the running process's id.
func (p *Process) Pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd.Process.Pid
}

// Log returns the process's last log lines.
func (p *Process) Log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.String()
}

// tail keeps the last lines of a log.
type tail struct {
	mu    sync.Mutex
	lines []string
}

func (t *tail) add(line string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.lines) == 200 {
		t.lines = t.lines[1:]
	}
	t.lines = append(t.lines, line)
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Join(t.lines, "\n")
}
