// Command storm measures a server under a storm of wrong sign-ins from
// rotating addresses. `storm read` measures GET /secure/client and prints
// its p50 and p99; `storm flood` is the storm. They are separate processes,
// so the storm's own scheduling does not show in the reads' latencies.
// scripts/storm.sh starts a server and runs them, calm and during a storm.
//
// Each storm request comes from the next address of 127.0.0.0/8 (a
// connection of its own, bound to that local address; every loopback
// address reaches the server), so the server sees as many addresses as a
// botnet would show it, without a proxy.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	base := flag.String("base", "", "server URL, http://127.0.0.1:PORT")
	token := flag.String("token", "", "read: a client token for GET /secure/client")
	duration := flag.Duration("duration", 10*time.Second, "how long to run")
	readers := flag.Int("readers", 4, "read: concurrent GET /secure/client loops")
	workers := flag.Int("workers", 64, "flood: concurrent wrong sign-in loops")
	clients := flag.Int("clients", 50, "flood: guess the secrets of clients load_1..load_N")
	label := flag.String("label", "", "read: the label of the line printed")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: storm read|flood [flags]")
		flag.PrintDefaults()
	}
	if len(os.Args) < 2 {
		flag.Usage()
		os.Exit(2)
	}
	mode := os.Args[1]
	flag.CommandLine.Parse(os.Args[2:])
	switch {
	case *base == "":
	case mode == "read" && *token != "":
		read(*base, *token, *readers, *duration).print(*label)
		return
	case mode == "flood":
		var f flood
		end := time.Now().Add(*duration)
		var wg sync.WaitGroup
		for range *workers {
			wg.Go(func() { f.run(*base, *clients, end) })
		}
		wg.Wait()
		fmt.Printf("flood POST /auth/login: %d in %v, by status: %v, transport errors: %d\n",
			f.total.Load(), *duration, f.byStatus(), f.failed.Load())
		return
	}
	flag.Usage()
	os.Exit(2)
}

// readings are the latencies of the reads of one phase.
type readings struct {
	latencies []time.Duration
	errors    int
}

func (r *readings) p(q float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	return r.latencies[int(q*float64(len(r.latencies)-1))]
}

func (r *readings) print(label string) {
	fmt.Printf("%s GET /secure/client: %6d reads, p50 %8v, p99 %8v, max %8v, errors %d\n", label,
		len(r.latencies), r.p(0.5).Round(10*time.Microsecond), r.p(0.99).Round(10*time.Microsecond),
		r.p(1).Round(10*time.Microsecond), r.errors)
}

// read runs n loops of GET /secure/client for d and returns their latencies.
func read(base, token string, n int, d time.Duration) *readings {
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: n}}
	var mu sync.Mutex
	out := &readings{}
	end := time.Now().Add(d)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			var mine []time.Duration
			errs := 0
			for time.Now().Before(end) {
				req, _ := http.NewRequest("GET", base+"/secure/client", nil)
				req.Header.Set("Authorization", "Bearer "+token)
				began := time.Now()
				res, err := hc.Do(req)
				if err == nil {
					io.Copy(io.Discard, res.Body)
					res.Body.Close()
				}
				mine = append(mine, time.Since(began))
				if err != nil || res.StatusCode != 200 {
					errs++
				}
			}
			mu.Lock()
			defer mu.Unlock()
			out.latencies = append(out.latencies, mine...)
			out.errors += errs
		})
	}
	wg.Wait()
	slices.Sort(out.latencies)
	return out
}

// flood sends wrong sign-ins and counts the answers.
type flood struct {
	total, failed atomic.Int64
	addr, guess   atomic.Uint32
	mu            sync.Mutex
	statuses      map[int]int
}

func (s *flood) byStatus() map[int]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.statuses
}

// run sends wrong sign-ins until end, each from a new address of
// 127.1.0.0 to 127.254.255.255 and for the next of the clients.
func (s *flood) run(base string, clients int, end time.Time) {
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		n := s.addr.Add(1)
		ip := net.IPv4(127, byte(1+n/65536%254), byte(n/256), byte(n))
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}, Timeout: 5 * time.Second}
		return d.DialContext(ctx, network, addr)
	}
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: dial, DisableKeepAlives: true}}
	for time.Now().Before(end) {
		n := s.guess.Add(1)
		body := fmt.Sprintf(`{"clientId":"load_%d","clientSecret":"wrong-guess-%d"}`, 1+int(n)%clients, n)
		res, err := hc.Post(base+"/auth/login", "application/json", bytes.NewBufferString(body))
		s.total.Add(1)
		if err != nil {
			s.failed.Add(1)
			continue
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		s.mu.Lock()
		if s.statuses == nil {
			s.statuses = map[int]int{}
		}
		s.statuses[res.StatusCode]++
		s.mu.Unlock()
	}
}
