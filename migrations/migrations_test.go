package migrations

import (
	"strings"
	"testing"
)

func TestListDialects(t *testing.T) {
	var versions [][]int
	for _, d := range Dialects {
		list, err := List(d)
		if err != nil {
			t.Fatalf("List(%q): %v", d, err)
		}
		if len(list) == 0 {
			t.Fatalf("List(%q) is empty", d)
		}
		var vs []int
		for i, m := range list {
			if i > 0 && m.Version <= list[i-1].Version {
				t.Errorf("%s: %s does not follow %s in version order", d, m.Name, list[i-1].Name)
			}
			if strings.TrimSpace(m.SQL) == "" {
				t.Errorf("%s: %s is empty", d, m.Name)
			}
			vs = append(vs, m.Version)
		}
		versions = append(versions, vs)
	}
	// Every dialect has the same migrations, so the schemas stay in step.
	for i := 1; i < len(versions); i++ {
		if len(versions[i]) != len(versions[0]) {
			t.Fatalf("%s has versions %v, %s has %v", Dialects[i], versions[i], Dialects[0], versions[0])
		}
		for j := range versions[i] {
			if versions[i][j] != versions[0][j] {
				t.Errorf("%s has versions %v, %s has %v", Dialects[i], versions[i], Dialects[0], versions[0])
				break
			}
		}
	}
}

func TestListUnknownDialect(t *testing.T) {
	if _, err := List("mysql"); err == nil {
		t.Error("List(mysql) succeeded, want an error")
	}
	if _, err := List("../migrations"); err == nil {
		t.Error("List(../migrations) succeeded, want an error")
	}
}
