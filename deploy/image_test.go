package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/krest-dev/krest/proxy/testenv"
)

// imageMaxBytes guards the image's size against creeping up (the issue's
// target was 30 MB; the image is 41.5 MB, the README says where it goes).
const imageMaxBytes = 43 << 20

// startDockerd starts Debian's Docker daemon on a socket, data root and
// exec root of the test's own (vfs storage, no iptables) and returns the
// DOCKER_HOST setting for it. Containers get the default bridge
// (docker0): without iptables, docker-proxy, the userland proxy, serves
// published ports (-p) on the host. The daemon is stopped when the test
// ends.
func startDockerd(t *testing.T) string {
	t.Helper()
	dockerd := testenv.Tool(t, "dockerd")
	testenv.Tool(t, "docker")
	dir := t.TempDir()
	sock := filepath.Join(dir, "docker.sock")
	cmd := exec.Command(dockerd, "--data-root", filepath.Join(dir, "root"), "--exec-root", filepath.Join(dir, "exec"),
		"--pidfile", filepath.Join(dir, "pid"), "-H", "unix://"+sock,
		"--storage-driver=vfs", "--iptables=false", "--ip6tables=false")
	logf, err := os.Create(filepath.Join(dir, "dockerd.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }() //nolint:errcheck // stopped by the cleanup
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM) //nolint:errcheck // may have exited
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill() //nolint:errcheck
			<-exited
		}
		logf.Close()
		// dockerd leaves its network namespace mounted.
		exec.Command("umount", filepath.Join(dir, "exec", "netns", "default")).Run() //nolint:errcheck // absent when not mounted
	})
	host := "DOCKER_HOST=unix://" + sock
	deadline := time.Now().Add(30 * time.Second)
	for command([]string{host}, "docker", "version").Run() != nil {
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(logf.Name())
			t.Fatalf("dockerd did not answer within 30 s:\n%s", b)
		}
		time.Sleep(200 * time.Millisecond)
	}
	return host
}

// TestImage builds the image with make image, as the README says, and runs
// it read-only, without capabilities, as 65532, against the real broker
// (bootstrap.servers through KREST_BOOTSTRAP_SERVERS) and in dev mode:
// ready, produce, consume, then docker stop, which must end krest cleanly
// (exit status 0: SIGTERM is handled by krest as PID 1).
func TestImage(t *testing.T) {
	seeds := strings.Join(testenv.Broker(t), ",")
	host := startDockerd(t)
	env := []string{host}

	start := time.Now()
	run(t, env, "make", "--no-print-directory", "image")
	t.Logf("make image: %s", time.Since(start).Round(time.Second))

	var img struct {
		Size   int64
		Config struct {
			User         string
			Entrypoint   []string
			ExposedPorts map[string]struct{}
		}
	}
	if err := json.Unmarshal([]byte(run(t, env, "docker", "image", "inspect", "-f", "{{json .}}", "krest")), &img); err != nil {
		t.Fatal(err)
	}
	t.Logf("image krest: %.1f MB", float64(img.Size)/1e6)
	if img.Size > imageMaxBytes {
		t.Errorf("image is %d bytes, over the %d guard", img.Size, imageMaxBytes)
	}
	if _, ok := img.Config.ExposedPorts["8082/tcp"]; img.Config.User != "65532:65532" || !ok ||
		strings.Join(img.Config.Entrypoint, " ") != "/usr/bin/krest" {
		t.Errorf("image config: user %q, ports %v, entrypoint %q", img.Config.User, img.Config.ExposedPorts, img.Config.Entrypoint)
	}
	stampedCommit(t, run(t, env, "docker", "run", "--rm", "krest", "-version"))

	t.Run("broker", func(t *testing.T) {
		port := freePort(t)
		runContainer(t, env, "krest-broker", []string{"-e", "KREST_BOOTSTRAP_SERVERS=" + seeds},
			"-listeners", "http://127.0.0.1:"+port)
		produceConsume(t, "http://127.0.0.1:"+port, fmt.Sprintf("krest-image-%d", time.Now().UnixNano()))
		stopContainer(t, env, "krest-broker")
	})
	t.Run("dev", func(t *testing.T) {
		port := freePort(t)
		runContainer(t, env, "krest-dev", nil,
			"-listeners", "http://127.0.0.1:"+port, "-dev.schema.registry.listen", "127.0.0.1:0")
		produceConsume(t, "http://127.0.0.1:"+port, "dev")
		stopContainer(t, env, "krest-dev")
	})
	t.Run("readme", func(t *testing.T) {
		for _, args := range readmeDockerRuns(t) {
			t.Run(strings.Join(args[2:], " "), func(t *testing.T) { runAsWritten(t, env, args) })
		}
	})
}

// readmeDockerRuns returns the docker run command lines of the README's
// "Container image" section (its first sh block), split into arguments.
func readmeDockerRuns(t *testing.T) [][]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok1 := strings.Cut(string(b), "\n### Container image\n")
	_, block, ok2 := strings.Cut(section, "```sh\n")
	block, _, ok3 := strings.Cut(block, "\n```")
	if !ok1 || !ok2 || !ok3 {
		t.Fatal("README.md has no sh block under ### Container image")
	}
	var runs [][]string
	for line := range strings.Lines(strings.ReplaceAll(block, "\\\n", " ")) {
		line, _, _ = strings.Cut(line, " #")
		f := strings.Fields(line)
		if len(f) < 2 || f[0] != "docker" || f[1] != "run" {
			continue
		}
		if strings.ContainsAny(line, "\"'$`*?;|&<>") {
			t.Fatalf("README: %q needs a shell to split", line)
		}
		if !strings.Contains(line, " -p 8082:8082 ") {
			t.Fatalf("README: %q does not publish 8082, where the test reaches krest", line)
		}
		runs = append(runs, f)
	}
	if len(runs) == 0 {
		t.Fatal("README.md's Container image section has no docker run line")
	}
	return runs
}

// runAsWritten runs a README docker run command line as it is written
// (in the foreground, publishing 8082 through the default bridge) and
// reaches krest through 127.0.0.1:8082. Without bootstrap.servers
// (dev mode) it produces and consumes; otherwise krest must log the
// Kafka (and Schema Registry) the line gives it, which do not exist here,
// and answer /-/healthy. docker stop must then end krest, and with it the
// docker run command, with status 0.
func runAsWritten(t *testing.T, env []string, args []string) {
	ln, err := net.Listen("tcp", ":8082")
	testenv.Require(t, "a free port 8082 for the README's docker run -p 8082:8082", err == nil)
	ln.Close()

	var out bytes.Buffer
	cmd := command(env, args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }() //nolint:errcheck // its status is read below
	id := ""
	t.Cleanup(func() {
		if id != "" {
			command(env, "docker", "rm", "-f", id).Run() //nolint:errcheck // best effort
		}
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill() //nolint:errcheck
			<-exited
		}
		if t.Failed() {
			t.Logf("%s:\n%s", strings.Join(args, " "), out.String())
		}
	})
	for deadline := time.Now().Add(30 * time.Second); id == ""; time.Sleep(100 * time.Millisecond) {
		select {
		case <-exited:
			t.Fatalf("%s exited at once", strings.Join(args, " "))
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("no container publishes 8082 within 30 s")
		}
		id = strings.TrimSpace(run(t, env, "docker", "ps", "-q", "--filter", "publish=8082"))
	}
	logs := func() string { b, _ := command(env, "docker", "logs", id).CombinedOutput(); return string(b) }

	const url = "http://127.0.0.1:8082"
	waitReady(t, url+"/-/healthy", 60*time.Second, logs)
	bootstrap, registry := "", ""
	for i, a := range args[:len(args)-1] {
		switch v := args[i+1]; {
		case a == "-bootstrap.servers":
			bootstrap = v
		case a == "-schema.registry.url":
			registry = v
		case a == "-e" && strings.HasPrefix(v, "KREST_BOOTSTRAP_SERVERS="):
			bootstrap = strings.TrimPrefix(v, "KREST_BOOTSTRAP_SERVERS=")
		case a == "-e" && strings.HasPrefix(v, "KREST_SCHEMA_REGISTRY_URL="):
			registry = strings.TrimPrefix(v, "KREST_SCHEMA_REGISTRY_URL=")
		}
	}
	var want []string
	if bootstrap == "" {
		want = append(want, "embedded dev Kafka broker")
	} else {
		want = append(want, "; Kafka at "+bootstrap)
	}
	if registry != "" {
		want = append(want, "; Schema Registry at "+registry)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		l, missing := logs(), ""
		for _, w := range want {
			if !strings.Contains(l, w) {
				missing = w
			}
		}
		if missing == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("krest's log lacks %q:\n%s", missing, l)
		}
	}
	if bootstrap == "" {
		waitReady(t, url+"/-/ready", 60*time.Second, logs)
		produceConsume(t, url, fmt.Sprintf("krest-readme-%d", time.Now().UnixNano()))
	}

	stopContainer(t, env, id)
	select {
	case <-exited:
	case <-time.After(20 * time.Second):
		t.Fatal("docker run did not return within 20 s of docker stop")
	}
	if code := cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("%s exited with %d, want 0", strings.Join(args, " "), code)
	}
}

// runContainer starts the image as the README's hardened run does and
// waits until /-/ready answers.
func runContainer(t *testing.T, env []string, name string, opts []string, args ...string) {
	t.Helper()
	a := []string{"run", "-d", "--name", name, "--read-only", "--cap-drop", "ALL", "--user", "65532:65532", "--network", "host"}
	a = append(append(append(a, opts...), "krest"), args...)
	run(t, env, "docker", a...)
	logs := func() string { out, _ := command(env, "docker", "logs", name).CombinedOutput(); return string(out) }
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("%s logs:\n%s", name, logs())
		}
		command(env, "docker", "rm", "-f", name).Run() //nolint:errcheck // best effort
	})
	url := ""
	for i, s := range args {
		if s == "-listeners" {
			url = args[i+1]
		}
	}
	waitReady(t, url+"/-/ready", 60*time.Second, logs)
}

// stopContainer runs docker stop and checks krest's exit status and last
// log line.
func stopContainer(t *testing.T, env []string, name string) {
	t.Helper()
	run(t, env, "docker", "stop", "-t", "30", name)
	code, err := strconv.Atoi(strings.TrimSpace(run(t, env, "docker", "inspect", "-f", "{{.State.ExitCode}}", name)))
	if err != nil || code != 0 {
		t.Errorf("exit status after docker stop: %d (%v), want 0", code, err)
	}
	if logs := run(t, env, "docker", "logs", name); !strings.Contains(logs, "krest stopped") {
		t.Errorf("no clean shutdown in the logs:\n%s", logs)
	}
}

// produceConsume produces a JSON record to topic and reads it back
// through a v2 consumer.
func produceConsume(t *testing.T, url, topic string) {
	t.Helper()
	const v2json = "application/vnd.kafka.json.v2+json"
	status, body := send(t, "POST", url+"/topics/"+topic, v2json, `{"records":[{"value":{"from":"docker"}}]}`)
	if status != 200 || !strings.Contains(body, `"offset":0`) {
		t.Fatalf("produce: %d %s", status, body)
	}
	const v2 = "application/vnd.kafka.v2+json"
	group := url + "/consumers/" + topic
	if status, body = send(t, "POST", group, v2, `{"name":"c","format":"json","auto.offset.reset":"earliest"}`); status != 200 {
		t.Fatalf("create consumer: %d %s", status, body)
	}
	base := group + "/instances/c"
	defer send(t, "DELETE", base, v2, "")
	if status, body = send(t, "POST", base+"/subscription", v2, `{"topics":["`+topic+`"]}`); status != 204 {
		t.Fatalf("subscribe: %d %s", status, body)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		status, body = send(t, "GET", base+"/records", "", "")
		if status != 200 {
			t.Fatalf("records: %d %s", status, body)
		}
		if strings.Contains(body, `"value":{"from":"docker"}`) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("record not consumed within 30 s; last: %s", body)
		}
	}
}
