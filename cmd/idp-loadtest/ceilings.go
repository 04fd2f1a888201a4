package main

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hotelsoft/idp/login/password"
)

// ceilings are the costs that bound the provider's throughput on this
// machine, each measured with every CPU busy.
type ceilings struct {
	CPUs             int     `json:"cpus"`
	Argon2idPerSec   float64 `json:"argon2id_hashes_per_second"`
	RS256SignPerSec  float64 `json:"rs256_signatures_per_second"`
	ES256SignPerSec  float64 `json:"es256_signatures_per_second"`
	Argon2idMemoryKB uint32  `json:"argon2id_memory_kib"`
	// CPU time per operation, which other load on the machine does not
	// change, unlike the rates.
	Argon2idCPUms float64 `json:"argon2id_cpu_ms_per_hash"`
	RS256CPUms    float64 `json:"rs256_cpu_ms_per_signature"`
	ES256CPUms    float64 `json:"es256_cpu_ms_per_signature"`
}

func runCeilings(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("ceilings", flag.ContinueOnError)
	fs.SetOutput(stderr)
	each := fs.Duration("duration", 5*time.Second, "how long to measure each operation")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *each <= 0 {
		return fmt.Errorf("--duration %v: must be positive, such as 5s", *each)
	}

	c := ceilings{CPUs: runtime.GOMAXPROCS(0), Argon2idMemoryKB: password.DefaultParams.Memory}
	hasher := password.NewHasher(password.DefaultParams, c.CPUs)
	c.Argon2idPerSec, c.Argon2idCPUms = rate(ctx, c.CPUs, *each, func() {
		hasher.Hash(ctx, "correct horse battery staple")
	})

	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	digest := sha256.Sum256([]byte("header.payload"))
	c.RS256SignPerSec, c.RS256CPUms = rate(ctx, c.CPUs, *each, func() {
		rsa.SignPKCS1v15(rand.Reader, rsaKey, crypto.SHA256, digest[:])
	})
	c.ES256SignPerSec, c.ES256CPUms = rate(ctx, c.CPUs, *each, func() {
		ecdsa.SignASN1(rand.Reader, ecKey, digest[:])
	})

	if *asJSON {
		return json.NewEncoder(stdout).Encode(c)
	}
	fmt.Fprintf(stdout, "%d CPUs: argon2id (%d KiB, 1 pass) %.1f hashes/s (%.1f ms CPU each); RS256 (2048-bit) %.0f signatures/s (%.2f ms); ES256 %.0f signatures/s (%.3f ms)\n",
		c.CPUs, c.Argon2idMemoryKB, c.Argon2idPerSec, c.Argon2idCPUms, c.RS256SignPerSec, c.RS256CPUms, c.ES256SignPerSec, c.ES256CPUms)
	return nil
}

// rate runs op in workers goroutines for d and returns operations per
// second and the process CPU milliseconds per operation.
func rate(ctx context.Context, workers int, d time.Duration, op func()) (perSec, cpuMS float64) {
	var n atomic.Int64
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	cpuStart := selfCPU()
	start := time.Now()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				op()
				n.Add(1)
			}
		})
	}
	wg.Wait()
	count := float64(n.Load())
	return count / time.Since(start).Seconds(), (selfCPU() - cpuStart) * 1000 / count
}

// selfCPU returns the CPU seconds this process has used.
func selfCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}
