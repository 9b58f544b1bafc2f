package main

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
)

// seedCase is a Case plus the expectations stored in testdata/seed-cases.json.
type seedCase struct {
	Case
	Allowed *bool    `json:"allowed"`
	Failing []string `json:"failing"`
}

func mustOracle(t *testing.T) *Oracle {
	t.Helper()
	o, err := NewOracle()
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestSeedCases(t *testing.T) {
	data, err := os.ReadFile("testdata/seed-cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Cases []seedCase `json:"cases"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Cases) == 0 {
		t.Fatal("no seed cases")
	}
	o := mustOracle(t)
	seen := map[string]bool{}
	for _, sc := range doc.Cases {
		if seen[sc.Name] {
			t.Errorf("duplicate case name %q", sc.Name)
		}
		seen[sc.Name] = true
		if sc.Allowed == nil || sc.Failing == nil {
			t.Errorf("%s: seed case needs both \"allowed\" and \"failing\"", sc.Name)
			continue
		}
		got := o.Evaluate(sc.Case)
		if got.Error != "" {
			t.Errorf("%s [%s %s]: error: %s", sc.Name, sc.Level, sc.Version, got.Error)
			continue
		}
		if got.Allowed != *sc.Allowed || !reflect.DeepEqual(got.Failing, sc.Failing) {
			t.Errorf("%s [%s %s]:\n  expected allowed=%v failing=%v\n  upstream allowed=%v failing=%v\n  reasons: %s",
				sc.Name, sc.Level, sc.Version, *sc.Allowed, sc.Failing, got.Allowed, got.Failing, strings.Join(got.Reasons, "; "))
		}
	}
}

// TestSelectionMatchesEvaluator checks the replica of registry.go's selection
// against the real evaluator for every level and version: the selected checks
// must be the same number, in the same order, giving the same results.
func TestSelectionMatchesEvaluator(t *testing.T) {
	o := mustOracle(t)
	meta := &metav1.ObjectMeta{}
	spec := &corev1.PodSpec{Containers: []corev1.Container{{Name: "c"}}}
	versions := []api.Version{api.LatestVersion()}
	for minor := 0; minor <= 40; minor++ {
		versions = append(versions, api.MajorMinorVersion(1, minor))
	}
	for _, level := range []api.Level{api.LevelPrivileged, api.LevelBaseline, api.LevelRestricted} {
		for _, v := range versions {
			upstream := o.evaluator.EvaluatePod(api.LevelVersion{Level: level, Version: v}, meta, spec)
			clamped := v
			if o.maxVersion.Older(clamped) {
				clamped = o.maxVersion
			}
			selected := o.selectChecks(level, clamped)
			if len(selected) != len(upstream) {
				t.Errorf("%s %s: selected %d checks, EvaluatePod ran %d", level, v, len(selected), len(upstream))
				continue
			}
			for i, sc := range selected {
				if r := sc.fn(meta, spec); !reflect.DeepEqual(r, upstream[i]) {
					t.Errorf("%s %s: check %d (%s) = %+v, EvaluatePod gave %+v", level, v, i, sc.id, r, upstream[i])
				}
			}
		}
	}
}

// TestLatestIsNewestKnownVersion pins which policy version "latest" means for
// the pinned library, so that a dependency bump is noticed.
func TestLatestIsNewestKnownVersion(t *testing.T) {
	o := mustOracle(t)
	if got := o.MaxVersion().String(); got != "v1.37" {
		t.Errorf("newest policy version known to the library = %s, want v1.37 (k8s.io/pod-security-admission v0.37.x)", got)
	}
	var ids []string
	for _, c := range policy.DefaultChecks() {
		ids = append(ids, string(c.ID))
	}
	if len(ids) != 19 {
		t.Errorf("library registers %d default checks, want 19: %v", len(ids), ids)
	}
}

func TestErrorsAreReportedPerCase(t *testing.T) {
	o := mustOracle(t)
	out := o.Run(Input{Cases: []Case{
		{Name: "bad-level", Level: "strict", Version: "latest", Pod: json.RawMessage(`{"spec":{}}`)},
		{Name: "bad-version", Level: "baseline", Version: "1.25", Pod: json.RawMessage(`{"spec":{}}`)},
		{Name: "bad-kind", Level: "baseline", Version: "latest", Pod: json.RawMessage(`{"apiVersion":"v1","kind":"Service"}`)},
		{Name: "no-pod", Level: "baseline", Version: "latest"},
		{Name: "ok", Level: "baseline", Version: "latest", Pod: json.RawMessage(`{"spec":{"containers":[{"name":"c"}]}}`)},
	}})
	for i, r := range out.Results {
		wantErr := i < 4
		if (r.Error != "") != wantErr {
			t.Errorf("%s: error=%q, want error=%v", r.Name, r.Error, wantErr)
		}
	}
}
