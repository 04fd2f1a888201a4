package main

import (
	"os"
	"testing"

	"github.com/hotelsoft/idp/store/pgtest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.Stop()
	os.Exit(code)
}
