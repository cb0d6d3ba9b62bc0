// Command bench is `make bench`: a load benchmark of the real binary beside
// a bare Fiber reference, on one machine, printing one table.
//
// It builds bin/switchboard's command and scripts/bench/reference, seeds two
// SQLite databases in bulk (-clients clients and -calls calls, and -small
// clients), starts a server on each and the reference, all on 127.0.0.1,
// and runs every scenario for -duration in -rounds rounds. Within a round
// the targets alternate, and each ratio is taken against its yardstick
// measured in the same round: the reference (for the per-request cost), the
// small database (for what size costs), or the raw bcrypt rate (for
// sign-in). The table shows each scenario's round with the median ratio.
//
//	go run ./scripts/bench                       # what make bench runs
//	go run ./scripts/bench -duration 5s -rounds 5
//	go run ./scripts/bench -keep /tmp/b -pprof 127.0.0.1:6060   # then profile
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
	"golang.org/x/crypto/bcrypt"
)

const adminPassword = "bench-admin-password"

var (
	duration = flag.Duration("duration", 3*time.Second, "how long each scenario runs in each round")
	rounds   = flag.Int("rounds", 3, "rounds; the table shows each scenario's median")
	conns    = flag.Int("conns", 64, "concurrent connections for the reads")
	clients  = flag.Int("clients", 100_000, "clients in the large database")
	calls    = flag.Int("calls", 1_000_000, "calls in the large database")
	small    = flag.Int("small", 100, "clients in the small database")
	keep     = flag.String("keep", "", "work in this folder and keep it (the seeded databases are reused when present)")
	pprof    = flag.String("pprof", "", "PPROF_ADDR of the large server, to profile it while the bench runs")
	only     = flag.String("only", "", "run only the scenarios whose name contains one of these, comma-separated")
)

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run() error {
	work := *keep
	if work == "" {
		var err error
		if work, err = os.MkdirTemp("", "switchboard-bench-"); err != nil {
			return err
		}
		defer os.RemoveAll(work)
	} else if err := os.MkdirAll(work, 0o700); err != nil {
		return err
	}
	bin, ref := filepath.Join(work, "switchboard"), filepath.Join(work, "reference")
	for out, pkg := range map[string]string{bin: "./cmd/switchboard", ref: "./scripts/bench/reference"} {
		if b, err := exec.Command("go", "build", "-o", out, pkg).CombinedOutput(); err != nil {
			return fmt.Errorf("build %s: %v\n%s", pkg, err, b)
		}
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(benchSecret), bcrypt.DefaultCost)
	if err != nil {
		return err
	}
	large, err := prepare(bin, filepath.Join(work, "large.db"), string(hash), *clients, *calls)
	if err != nil {
		return err
	}
	smallDB, err := prepare(bin, filepath.Join(work, "small.db"), string(hash), *small, 0)
	if err != nil {
		return err
	}

	big, err := startServer(bin, large, *pprof)
	if err != nil {
		return err
	}
	defer big.stop()
	little, err := startServer(bin, smallDB, "")
	if err != nil {
		return err
	}
	defer little.stop()
	refSrv, err := startReference(ref)
	if err != nil {
		return err
	}
	defer refSrv.stop()

	for _, s := range []*server{big, little} {
		if err := s.signIn(); err != nil {
			return err
		}
	}
	scenarios := buildScenarios(big, little)
	results := map[string][]measure{}
	hashers := max(1, runtime.NumCPU()-1) // the server's MAX_CONCURRENT_HASHES default
	fmt.Fprintf(os.Stderr, "bench: %d rounds of %v per scenario, %d connections, %d CPUs\n", *rounds, *duration, *conns, runtime.NumCPU())
	for r := range *rounds {
		refM := load(refSrv.get("/", nil), *conns, *duration)
		refM.ratio = 1
		results["reference"] = append(results["reference"], refM)
		for _, sc := range scenarios {
			if !chosen(sc.name) {
				continue
			}
			var m, base measure
			var hashRate float64
			if sc.vsHash { // measured just before and after, so both see the same machine
				hashRate = bcryptRate(hash, hashers, *duration/2)
			}
			if sc.small != nil && r%2 == 1 { // alternate which size goes first
				base = load(sc.small, sc.conns, *duration)
				m = runLarge(sc)
			} else {
				m = runLarge(sc)
				if sc.small != nil {
					base = load(sc.small, sc.conns, *duration)
				}
			}
			if sc.vsHash {
				hashRate = (hashRate + bcryptRate(hash, hashers, *duration/2)) / 2
				results["bcrypt"] = append(results["bcrypt"], measure{rps: hashRate, ratio: 1})
			}
			switch {
			case sc.small != nil:
				m.ratio, m.baseRPS = m.rps/base.rps, base.rps
			case sc.vsHash:
				m.ratio, m.baseRPS = m.rps/hashRate, hashRate
			default:
				m.ratio, m.baseRPS = m.rps/refM.rps, refM.rps
			}
			if sc.beside != nil {
				m.baseRPS = m.besideRPS
			}
			results[sc.name] = append(results[sc.name], m)
			fmt.Fprintf(os.Stderr, "round %d %-52s %9.1f req/s  ratio %.3f\n", r+1, sc.name, m.rps, m.ratio)
		}
	}
	rss := big.peakRSS()

	fmt.Printf("\n%d CPUs (%s), %s; %d rounds of %v, %d connections (sign-in: 4); large: %d clients, %d calls; small: %d clients\n\n",
		runtime.NumCPU(), cpuModel(), runtime.Version(), *rounds, *duration, *conns, *clients, *calls, *small)
	fmt.Println("| scenario | req/s | p50 | p99 | errors | ratio | to |")
	fmt.Println("|---|---|---|---|---|---|---|")
	refMed := median(results["reference"])
	fmt.Printf("| bare Fiber reference `GET /` | %.0f | %s | %s | %d | 1 | |\n", refMed.rps, ms(refMed.p50), ms(refMed.p99), refMed.errors)
	if len(results["bcrypt"]) > 0 {
		fmt.Printf("| raw bcrypt cost 10, %d at once (the hash bound) | %.1f | | | | 1 | |\n", hashers, median(results["bcrypt"]).rps)
	}
	for _, sc := range scenarios {
		if len(results[sc.name]) == 0 {
			continue
		}
		m := median(results[sc.name])
		to := "reference"
		switch {
		case sc.small != nil:
			to = fmt.Sprintf("%d clients (%.0f req/s)", *small, m.baseRPS)
		case sc.vsHash:
			to = fmt.Sprintf("raw bcrypt (%.1f/s)", m.baseRPS)
		case sc.beside != nil:
			to = fmt.Sprintf("reference; sign-ins beside: %.1f/s", m.baseRPS)
		}
		errs := fmt.Sprint(m.errors)
		if len(m.statuses) > 0 {
			errs += " " + fmt.Sprint(m.statuses)
		}
		fmt.Printf("| %s | %.1f | %s | %s | %s | %.3f | %s |\n", sc.name, m.rps, ms(m.p50), ms(m.p99), errs, m.ratio, to)
	}
	fmt.Printf("\npeak RSS of the large server: %.1f MiB\n", float64(rss)/(1<<20))
	return nil
}

// scenario is one row of the table: the large target, and the small one or
// another yardstick.
type scenario struct {
	name         string
	large, small *request
	vsHash       bool
	conns        int
	// mix, when set, is what the large target is sent instead of large
	// alone, round robin; beside is sent from 4 more connections at the
	// same time (its rate goes in the last column).
	mix    []*request
	beside *request
}

func buildScenarios(big, little *server) []scenario {
	both := func(name, path string, console bool) scenario {
		h := func(s *server) *request {
			if console {
				return s.get(path, map[string]string{"Cookie": s.cookie})
			}
			return s.get(path, map[string]string{"Authorization": "Bearer " + s.admin})
		}
		return scenario{name: name, large: h(big), small: h(little), conns: *conns}
	}
	client := map[string]string{"Authorization": "Bearer " + big.client}
	admin := map[string]string{"Authorization": "Bearer " + big.admin}
	login := big.get("/auth/login", map[string]string{"Content-Type": "application/json"})
	login.method, login.body = "POST", []byte(`{"clientId":"`+benchClient+`","clientSecret":"`+benchSecret+`"}`)
	return []scenario{
		{name: "`GET /secure/client`", large: big.get("/secure/client", client), conns: *conns},
		{name: "`POST /auth/login` (bcrypt cost 10)", large: login, vsHash: true, conns: 4},
		both("`GET /admin/clients?limit=50`", "/admin/clients?limit=50", false),
		both("`GET /admin/clients?search="+rareTerm+"`", "/admin/clients?search="+rareTerm, false),
		both("`GET /console/clients`", "/console/clients", true),
		both("`GET /console/clients?search="+rareTerm+"`", "/console/clients?search="+rareTerm, true),
		{name: "`GET /secure/calls` (10,000 calls of the client)", large: big.get("/secure/calls", client), conns: *conns},
		{name: "`GET /secure/call-stats`", large: big.get("/secure/call-stats", client), conns: *conns},
		{name: "`GET /admin/calls`", large: big.get("/admin/calls", admin), conns: *conns},
		{name: "`GET /admin/calls?status=failed`", large: big.get("/admin/calls?status=failed", admin), conns: *conns},
		{name: "`GET /admin/dashboard`", large: big.get("/admin/dashboard", admin), conns: *conns},
		{name: "`GET /secure/client` beside a sign-in storm (4 connections)", large: big.get("/secure/client", client),
			beside: login, conns: *conns},
		{name: "mixed: 90% reads, 10% `PUT /admin/clients/:id`", mix: mixed(big, client, admin), conns: *conns},
	}
}

// mixed is nine reads of the scenarios above for each write, an update of
// a client's city (creates would measure bcrypt, which sign-in does).
func mixed(big *server, client, admin map[string]string) []*request {
	put := big.get("/admin/clients/bench_000002", map[string]string{"Authorization": admin["Authorization"], "Content-Type": "application/json"})
	put.method, put.body = "PUT", []byte(`{"clientMeta":{"city":"Springfield"}}`)
	return []*request{
		big.get("/secure/client", client), big.get("/admin/clients?limit=50", admin), big.get("/secure/call-stats", client),
		big.get("/secure/client", client), big.get("/admin/calls", admin), big.get("/admin/dashboard", admin),
		big.get("/secure/client", client), big.get("/admin/clients?search="+rareTerm, admin), big.get("/secure/calls", client),
		put,
	}
}

// prepare migrates and seeds the database at path unless it is there already.
func prepare(bin, path, hash string, n, calls int) (string, error) {
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	began := time.Now()
	cmd := exec.Command(bin, "migrate")
	cmd.Env = append(os.Environ(), "DATABASE_URL="+path)
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("migrate: %v\n%s", err, b)
	}
	if err := seed(path, hash, n, calls); err != nil {
		os.Remove(path)
		return "", err
	}
	fmt.Fprintf(os.Stderr, "bench: seeded %s with %d clients and %d calls in %v\n", filepath.Base(path), n, calls, time.Since(began).Round(time.Millisecond))
	return path, nil
}

// server is a started process and what the bench signed in with.
type server struct {
	cmd                   *exec.Cmd
	addr                  string // host:port
	admin, client, cookie string
}

var listening = regexp.MustCompile(`listening (?:addr=)?http://([0-9.:]+)`)

func startServer(bin, db, pprofAddr string) (*server, error) {
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), "PORT=0", "HOST=127.0.0.1", "DATABASE_URL="+db, "ADMIN_PASSWORD="+adminPassword)
	if pprofAddr != "" {
		cmd.Env = append(cmd.Env, "PPROF_ADDR="+pprofAddr)
	}
	return start(cmd)
}

func startReference(bin string) (*server, error) { return start(exec.Command(bin)) }

// start runs cmd and waits for its "listening" line; the rest of its output
// (a server's request log) is discarded.
func start(cmd *exec.Cmd) (*server, error) {
	out, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	found := make(chan string, 2)
	scan := func(r io.Reader) {
		sc := bufio.NewScanner(r)
		sent := false
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil && !sent {
				found <- m[1]
				sent = true
			}
		}
	}
	go scan(out)
	go scan(stdout)
	select {
	case addr := <-found:
		return &server{cmd: cmd, addr: addr}, nil
	case <-time.After(5 * time.Minute): // a first start may migrate a large database
		cmd.Process.Kill()
		return nil, fmt.Errorf("%s did not start", cmd.Path)
	}
}

func (s *server) stop() {
	s.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		s.cmd.Process.Kill()
	}
}

// peakRSS is the process's high-water resident set (Linux), in bytes.
func (s *server) peakRSS() int64 {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb int64
			fmt.Sscanf(strings.TrimSpace(v), "%d", &kb)
			return kb << 10
		}
	}
	return 0
}

// signIn takes an admin token, a client token and a console session.
func (s *server) signIn() error {
	base := "http://" + s.addr
	post := func(path, body string) (string, error) {
		res, err := http.Post(base+path, "application/json", strings.NewReader(body))
		if err != nil {
			return "", err
		}
		defer res.Body.Close()
		var v struct{ Token string }
		if err := json.NewDecoder(res.Body).Decode(&v); err != nil || v.Token == "" {
			return "", fmt.Errorf("POST %s: %s, no token", path, res.Status)
		}
		return v.Token, nil
	}
	var err error
	if s.admin, err = post("/auth/admin/login", `{"username":"admin","password":"`+adminPassword+`"}`); err != nil {
		return err
	}
	if s.client, err = post("/auth/login", `{"clientId":"`+benchClient+`","clientSecret":"`+benchSecret+`"}`); err != nil {
		return err
	}
	// The console: its sign-in page's CSRF token, then the form.
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := hc.Get(base + "/console/login")
	if err != nil {
		return err
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindSubmatch(page)
	if m == nil {
		return fmt.Errorf("no CSRF token on /console/login")
	}
	res, err = hc.PostForm(base+"/console/login", url.Values{"_csrf": {string(m[1])}, "username": {"admin"}, "password": {adminPassword}})
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		return fmt.Errorf("console sign-in: %s", res.Status)
	}
	var cookies []string
	for _, c := range jar.Cookies(&url.URL{Scheme: "http", Host: s.addr, Path: "/console/"}) {
		cookies = append(cookies, c.Name+"="+c.Value)
	}
	s.cookie = strings.Join(cookies, "; ")
	return nil
}

// runLarge runs a scenario's load on the large server, with its mix and
// what runs beside it.
func runLarge(sc scenario) measure {
	var storm measure
	var wg sync.WaitGroup
	if sc.beside != nil {
		wg.Go(func() { storm = load(sc.beside, 4, *duration) })
	}
	reqs := sc.mix
	if reqs == nil {
		reqs = []*request{sc.large}
	}
	m := loadMix(reqs, sc.conns, *duration)
	wg.Wait()
	m.besideRPS = storm.rps
	return m
}

// request is one request a scenario repeats.
type request struct {
	addr, method, path string
	headers            map[string]string
	body               []byte
}

func (s *server) get(path string, headers map[string]string) *request {
	return &request{addr: s.addr, method: "GET", path: path, headers: headers}
}

// measure is one scenario's figures in one round.
type measure struct {
	rps, ratio, baseRPS float64
	besideRPS           float64 // of scenario.beside, run at the same time
	p50, p99            time.Duration
	errors              int
	statuses            map[int]int // answers other than 200
}

// load sends req from n connections for d and measures the answers; an
// answer other than 200 counts as an error.
func load(req *request, n int, d time.Duration) measure {
	return loadMix([]*request{req}, n, d)
}

// loadMix is load with each connection going round reqs, from a different
// place in the list, so that the mix holds at every moment.
func loadMix(reqs []*request, n int, d time.Duration) measure {
	hc := &fasthttp.HostClient{Addr: reqs[0].addr, MaxConns: n, ReadTimeout: 30 * time.Second}
	var mu sync.Mutex
	var all []time.Duration
	statuses := map[int]int{}
	errors := 0
	began := time.Now()
	end := began.Add(d)
	var wg sync.WaitGroup
	for conn := range n {
		wg.Go(func() {
			rqs := make([]*fasthttp.Request, len(reqs))
			for i, req := range reqs {
				rq := fasthttp.AcquireRequest()
				rq.SetRequestURI("http://" + req.addr + req.path)
				rq.Header.SetMethod(req.method)
				for k, v := range req.headers {
					rq.Header.Set(k, v)
				}
				if req.body != nil {
					rq.SetBody(req.body)
				}
				rqs[i] = rq
			}
			rs := fasthttp.AcquireResponse()
			var mine []time.Duration
			mineStatus := map[int]int{}
			errs := 0
			for k := conn; time.Now().Before(end); k++ {
				t := time.Now()
				err := hc.Do(rqs[k%len(rqs)], rs)
				mine = append(mine, time.Since(t))
				if err != nil {
					errs++
				} else if rs.StatusCode() != fasthttp.StatusOK {
					mineStatus[rs.StatusCode()]++
				}
			}
			mu.Lock()
			all = append(all, mine...)
			errors += errs
			for k, v := range mineStatus {
				statuses[k] += v
				errors += v
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(began)
	slices.Sort(all)
	m := measure{errors: errors}
	if len(statuses) > 0 {
		m.statuses = statuses
	}
	if len(all) > 0 {
		m.p50, m.p99 = all[len(all)/2], all[len(all)*99/100]
		m.rps = float64(len(all)-errors) / elapsed.Seconds()
	}
	return m
}

// bcryptRate is how many cost-10 comparisons n goroutines make a second:
// what sign-in would reach if it cost nothing but the hash.
func bcryptRate(hash []byte, n int, d time.Duration) float64 {
	var mu sync.Mutex
	total := 0
	began := time.Now()
	end := began.Add(d)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			k := 0
			for time.Now().Before(end) {
				bcrypt.CompareHashAndPassword(hash, []byte(benchSecret))
				k++
			}
			mu.Lock()
			total += k
			mu.Unlock()
		})
	}
	wg.Wait()
	return float64(total) / time.Since(began).Seconds()
}

// median is the round with the median ratio (req/s for the yardsticks,
// whose ratio is 1): the ratio is what rounds on a shared machine agree on.
func median(ms []measure) measure {
	s := slices.Clone(ms)
	slices.SortFunc(s, func(a, b measure) int {
		if c := cmpFloat(a.ratio, b.ratio); c != 0 {
			return c
		}
		return cmpFloat(a.rps, b.rps)
	})
	return s[len(s)/2]
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func ms(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000)
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range bytes.Split(b, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("model name")); ok {
			return strings.TrimSpace(strings.TrimLeft(string(v), " \t:"))
		}
	}
	return runtime.GOARCH
}

// chosen reports whether -only selects the scenario named name.
func chosen(name string) bool {
	if *only == "" {
		return true
	}
	for part := range strings.SplitSeq(*only, ",") {
		if part != "" && strings.Contains(name, part) {
			return true
		}
	}
	return false
}
