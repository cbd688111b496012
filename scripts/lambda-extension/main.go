// Command aurastream-lambda-extension runs our collector distribution (otelcol-aurastream) as an
// AWS Lambda external extension: the shape of the ADOT Lambda layer, for the local Lambda
// runtime (AWS's runtime interface emulator) in tests and benchmarks. Standard library only.
//
// A plain collector does not speak the Lambda Extensions API, so Lambda would neither wait for
// it before the first invocation nor tell it to stop. This wrapper does both:
//
//  1. registers with the Extensions API (POST /2020-01-01/extension/register, events INVOKE and
//     SHUTDOWN, named after its own file name, as Lambda requires for /opt/extensions/<name>);
//  2. starts the collector (AURASTREAM_COLLECTOR_BINARY, default
//     /opt/aurastream/otelcol-aurastream) with the config in OPENTELEMETRY_COLLECTOR_CONFIG_URI
//     (ADOT's variable; default /var/task/collector.yaml), its output on the extension's own
//     (the function's log stream);
//  3. waits until the collector accepts connections on AURASTREAM_COLLECTOR_READY_ADDRESS
//     (default localhost:4318, the OTLP/HTTP receiver of the `lambda` config) before its first
//     /event/next: Lambda sends no invocation before every extension has called /event/next,
//     so the function's first export finds the collector listening. A collector that exits or
//     is not ready within AURASTREAM_COLLECTOR_READY_TIMEOUT_MS (default 5000) is reported
//     with POST /extension/init/error and the extension exits 1 (the init fails);
//  4. INVOKE: nothing to do (the function flushes to the collector before it returns; the
//     collector exports as data arrives);
//  5. SHUTDOWN: SIGTERM to the collector, which drains its queues and exports what it holds,
//     then waits for it until 200 ms before the event's deadline (deadlineMs), SIGKILL after
//     that; exits 0. A collector that dies on its own ends the extension with status 1
//     (Lambda then resets the environment).
//
// Each step is one line on stderr prefixed "aurastream-lambda-extension:" (SHUTDOWN with its
// reason and how long the collector took to stop), so tests can follow the lifecycle.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

const (
	apiVersion      = "2020-01-01"
	shutdownMargin  = 200 * time.Millisecond
	defaultBinary   = "/opt/aurastream/otelcol-aurastream"
	defaultConfig   = "/var/task/collector.yaml"
	defaultReady    = "localhost:4318"
	defaultReadyMs  = 5000
	readyPollPeriod = 10 * time.Millisecond
)

type event struct {
	EventType      string `json:"eventType"`
	DeadlineMs     int64  `json:"deadlineMs"`
	RequestID      string `json:"requestId"`
	ShutdownReason string `json:"shutdownReason"`
}

type extension struct {
	base   string // http://$AWS_LAMBDA_RUNTIME_API/2020-01-01/extension
	name   string
	id     string
	client *http.Client
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "aurastream-lambda-extension: "+format+"\n", args...)
}

func getenv(key, fallback string) string {
	if value := os.Getenv(key); value != "" {
		return value
	}
	return fallback
}

func (e *extension) register() error {
	body := []byte(`{"events":["INVOKE","SHUTDOWN"]}`)
	req, err := http.NewRequest(http.MethodPost, e.base+"/register", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Lambda-Extension-Name", e.name)
	resp, err := e.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("register: HTTP %d", resp.StatusCode)
	}
	e.id = resp.Header.Get("Lambda-Extension-Identifier")
	if e.id == "" {
		return fmt.Errorf("register: no Lambda-Extension-Identifier")
	}
	return nil
}

func (e *extension) next() (event, error) {
	var ev event
	req, err := http.NewRequest(http.MethodGet, e.base+"/event/next", nil)
	if err != nil {
		return ev, err
	}
	req.Header.Set("Lambda-Extension-Identifier", e.id)
	resp, err := e.client.Do(req)
	if err != nil {
		return ev, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return ev, fmt.Errorf("event/next: HTTP %d", resp.StatusCode)
	}
	return ev, json.NewDecoder(resp.Body).Decode(&ev)
}

func (e *extension) initError(reason string) {
	body, _ := json.Marshal(map[string]string{"errorMessage": reason, "errorType": "Extension.CollectorInitFailed"})
	req, err := http.NewRequest(http.MethodPost, e.base+"/init/error", bytes.NewReader(body))
	if err != nil {
		return
	}
	req.Header.Set("Lambda-Extension-Identifier", e.id)
	req.Header.Set("Lambda-Extension-Function-Error-Type", "Extension.CollectorInitFailed")
	if resp, err := e.client.Do(req); err == nil {
		resp.Body.Close()
	}
}

// waitReady polls the collector's receiver until it accepts a connection, the collector exits
// or the timeout passes.
func waitReady(address string, timeout time.Duration, exited <-chan error) error {
	deadline := time.Now().Add(timeout)
	for {
		conn, err := net.DialTimeout("tcp", address, 100*time.Millisecond)
		if err == nil {
			conn.Close()
			return nil
		}
		select {
		case err := <-exited:
			return fmt.Errorf("collector exited before accepting on %s: %v", address, err)
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("collector not accepting on %s after %s", address, timeout)
		}
		time.Sleep(readyPollPeriod)
	}
}

// stop sends SIGTERM and waits for the collector until the deadline (minus a margin).
func stop(cmd *exec.Cmd, exited <-chan error, deadlineMs int64) {
	started := time.Now()
	wait := time.Until(time.UnixMilli(deadlineMs)) - shutdownMargin
	if deadlineMs == 0 || wait <= 0 {
		wait = time.Second
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		logf("collector stopped in %d ms (%v)", time.Since(started).Milliseconds(), err)
	case <-time.After(wait):
		_ = cmd.Process.Kill()
		logf("collector still running %d ms after SIGTERM: killed", time.Since(started).Milliseconds())
	}
}

func main() {
	runtimeAPI := os.Getenv("AWS_LAMBDA_RUNTIME_API")
	if runtimeAPI == "" {
		logf("AWS_LAMBDA_RUNTIME_API is not set: not running under Lambda")
		os.Exit(1)
	}
	ext := &extension{
		base:   "http://" + runtimeAPI + "/" + apiVersion + "/extension",
		name:   filepath.Base(os.Args[0]),
		client: &http.Client{}, // no timeout: /event/next blocks until the next event
	}
	if err := ext.register(); err != nil {
		logf("%v", err)
		os.Exit(1)
	}
	binary := getenv("AURASTREAM_COLLECTOR_BINARY", defaultBinary)
	config := getenv("OPENTELEMETRY_COLLECTOR_CONFIG_URI", defaultConfig)
	address := getenv("AURASTREAM_COLLECTOR_READY_ADDRESS", defaultReady)
	readyMs, err := strconv.Atoi(getenv("AURASTREAM_COLLECTOR_READY_TIMEOUT_MS", strconv.Itoa(defaultReadyMs)))
	if err != nil || readyMs <= 0 {
		readyMs = defaultReadyMs
	}
	started := time.Now()
	cmd := exec.Command(binary, "--config="+config)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		ext.initError(err.Error())
		logf("start %s: %v", binary, err)
		os.Exit(1)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	if err := waitReady(address, time.Duration(readyMs)*time.Millisecond, exited); err != nil {
		_ = cmd.Process.Kill()
		ext.initError(err.Error())
		logf("%v", err)
		os.Exit(1)
	}
	logf("registered as %s; collector pid %d accepting on %s after %d ms",
		ext.name, cmd.Process.Pid, address, time.Since(started).Milliseconds())
	events := make(chan event)
	failures := make(chan error, 1)
	go func() {
		for {
			ev, err := ext.next()
			if err != nil {
				failures <- err
				return
			}
			events <- ev
			if ev.EventType == "SHUTDOWN" {
				return // no further /event/next: the extension is exiting
			}
		}
	}()
	for {
		select {
		case err := <-exited:
			logf("collector exited on its own: %v", err)
			os.Exit(1)
		case err := <-failures:
			logf("%v", err)
			stop(cmd, exited, 0)
			os.Exit(1)
		case ev := <-events:
			if ev.EventType == "SHUTDOWN" {
				logf("SHUTDOWN (%s, deadline in %d ms)", ev.ShutdownReason,
					time.Until(time.UnixMilli(ev.DeadlineMs)).Milliseconds())
				stop(cmd, exited, ev.DeadlineMs)
				os.Exit(0)
			}
		}
	}
}
