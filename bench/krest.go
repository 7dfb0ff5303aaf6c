package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// krestLog, when set (-krest-log), also receives krest's log.
var krestLog io.Writer

// krestProc is a krest process under test.
type krestProc struct {
	cmd    *exec.Cmd
	url    string
	stderr bytes.Buffer
}

// startKrest runs the krest binary against brokers with extra flags and
// waits until it answers.
func startKrest(bin string, brokers string, extra ...string) (*krestProc, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	p := &krestProc{url: "http://" + addr}
	args := []string{"-listeners", p.url, "-log.level", "warn"}
	if brokers != "" { // else dev mode: an embedded broker and registry
		args = append(args, "-bootstrap.servers", brokers)
	}
	args = append(args, extra...)
	p.cmd = exec.Command(bin, args...)
	p.cmd.Stderr = &p.stderr
	if krestLog != nil {
		p.cmd.Stderr = io.MultiWriter(&p.stderr, krestLog)
	}
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(p.url + "/")
		if err == nil {
			resp.Body.Close()
			return p, nil
		}
		if time.Now().After(deadline) {
			p.cmd.Process.Kill()
			return nil, fmt.Errorf("krest did not start: %s", p.stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop sends SIGTERM and waits for a clean exit.
func (p *krestProc) stop() error {
	p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("krest exited with %v: %s", err, p.stderr.String())
		}
		return nil
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		return fmt.Errorf("krest did not stop")
	}
}

// procStats reads a process's CPU time and peak RSS from /proc.
type procStats struct {
	cpu     time.Duration // user + system
	peakRSS int64         // bytes (VmHWM)
	rss     int64         // bytes (VmRSS)
}

const clockTicks = 100 // USER_HZ on Linux

func readProcStats(pid int) (procStats, error) {
	var st procStats
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return st, err
	}
	// Fields after the parenthesised command name; utime and stime are
	// fields 14 and 15 of the whole line.
	rest := string(stat[bytes.LastIndexByte(stat, ')')+2:])
	f := strings.Fields(rest)
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	st.cpu = time.Duration(utime+stime) * time.Second / clockTicks
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return st, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		k, v, _ := strings.Cut(line, ":")
		kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmHWM":
			st.peakRSS = kb << 10
		case "VmRSS":
			st.rss = kb << 10
		}
	}
	return st, nil
}

// resetPeakRSS starts krest's peak RSS (VmHWM) again from its current RSS
// (Linux's clear_refs, 5); the peak keeps counting from the start if the
// kernel refuses.
func (p *krestProc) resetPeakRSS() {
	_ = os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", p.cmd.Process.Pid), []byte("5"), 0)
}

func (p *krestProc) stats() procStats {
	st, _ := readProcStats(p.cmd.Process.Pid)
	return st
}
