// Command psa-oracle evaluates pods and pod-template workloads with the upstream
// Pod Security Admission library (k8s.io/pod-security-admission), exactly as
// kube-apiserver's PodSecurity admission plugin does, and reports which checks
// failed. plimsoll uses it as the oracle for differential tests of its Pod
// Security Standards rules.
//
// Input (stdin):
//
//	{"cases": [{"name": "...", "level": "baseline"|"restricted"|"privileged",
//	            "version": "v1.25"|"latest", "pod": <Pod or workload object>}]}
//
// Output (stdout):
//
//	{"results": [{"name": "...", "allowed": bool, "failing": ["checkId", ...],
//	              "reasons": ["..."], "evaluatedVersion": "v1.37"}]}
//
// A case that cannot be decoded or evaluated gets an "error" field instead of a
// verdict; the process still exits 0 so that every case is reported. Invalid
// top-level input exits 2. Run with -about to print the library version.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"reflect"
	"runtime/debug"
	"sort"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/pod-security-admission/admission"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
)

// Case is one input case. Expectation fields (allowed, failing) are ignored by
// the CLI; they are used by the tests.
type Case struct {
	Name    string          `json:"name"`
	Level   string          `json:"level"`
	Version string          `json:"version"`
	Pod     json.RawMessage `json:"pod"`
}

// Input is the CLI's stdin document.
type Input struct {
	Cases []Case `json:"cases"`
}

// Result is the verdict for one case.
type Result struct {
	Name    string   `json:"name"`
	Allowed bool     `json:"allowed"`
	Failing []string `json:"failing"`
	Reasons []string `json:"reasons"`
	// EvaluatedVersion is the policy version actually applied after clamping
	// ("latest" and versions newer than the library knows map to the newest
	// version the library knows).
	EvaluatedVersion string `json:"evaluatedVersion,omitempty"`
	Error            string `json:"error,omitempty"`
}

// Output is the CLI's stdout document.
type Output struct {
	Results []Result `json:"results"`
}

// Oracle wraps the upstream evaluator plus a faithful replica of its per
// level/version check selection, used to attribute failures to check IDs.
type Oracle struct {
	evaluator  policy.Evaluator
	checks     []policy.Check
	maxVersion api.Version
	decoder    runtime.Decoder
	extractor  admission.PodSpecExtractor
}

// NewOracle builds the oracle the same way kube-apiserver builds its
// evaluator: policy.NewEvaluator(policy.DefaultChecks(), nil).
func NewOracle() (*Oracle, error) {
	evaluator, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		return nil, err
	}
	checks := policy.DefaultChecks()
	// registry.go populate(): maxVersion = max over checks of the last MinimumVersion.
	var maxVersion api.Version
	for _, c := range checks {
		last := c.Versions[len(c.Versions)-1].MinimumVersion
		if maxVersion.Older(last) {
			maxVersion = last
		}
	}

	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, appsv1.AddToScheme, batchv1.AddToScheme} {
		if err := add(scheme); err != nil {
			return nil, err
		}
	}
	// UniversalDeserializer: the apimachinery JSON/YAML decoder (case-sensitive
	// field names, like kube-apiserver), without defaulting or conversion.
	decoder := serializer.NewCodecFactory(scheme).UniversalDeserializer()

	return &Oracle{
		evaluator:  evaluator,
		checks:     checks,
		maxVersion: maxVersion,
		decoder:    decoder,
		extractor:  admission.DefaultPodSpecExtractor{},
	}, nil
}

// MaxVersion is the newest policy version the library knows ("latest").
func (o *Oracle) MaxVersion() api.Version { return o.maxVersion }

// selectedCheck is one check as selected for a level/version.
type selectedCheck struct {
	id policy.CheckID
	fn policy.CheckPodFn
}

// selectChecks replicates policy/registry.go (populate, inflateVersions,
// mapCheckPodFns and EvaluatePod's clamping): for the (already clamped)
// version v, each check contributes its newest VersionedCheck whose
// MinimumVersion <= v; at restricted, baseline checks named in the selected
// restricted checks' OverrideCheckIDs are dropped; the order is baseline IDs
// sorted, then restricted IDs sorted.
func (o *Oracle) selectChecks(level api.Level, v api.Version) []selectedCheck {
	if level == api.LevelPrivileged {
		return nil
	}
	pick := func(c policy.Check) *policy.VersionedCheck {
		var chosen *policy.VersionedCheck
		for i := range c.Versions {
			if !v.Older(c.Versions[i].MinimumVersion) { // MinimumVersion <= v
				chosen = &c.Versions[i]
			}
		}
		return chosen
	}
	baseline := map[policy.CheckID]*policy.VersionedCheck{}
	restricted := map[policy.CheckID]*policy.VersionedCheck{}
	var baselineIDs, restrictedIDs []string
	for _, c := range o.checks {
		vc := pick(c)
		switch c.Level {
		case api.LevelBaseline:
			baselineIDs = append(baselineIDs, string(c.ID))
			if vc != nil {
				baseline[c.ID] = vc
			}
		case api.LevelRestricted:
			restrictedIDs = append(restrictedIDs, string(c.ID))
			if vc != nil {
				restricted[c.ID] = vc
			}
		}
	}
	sort.Strings(baselineIDs)
	sort.Strings(restrictedIDs)
	ordered := append(append([]string{}, baselineIDs...), restrictedIDs...)

	overrides := map[policy.CheckID]bool{}
	if level == api.LevelRestricted {
		for _, vc := range restricted {
			for _, ov := range vc.OverrideCheckIDs {
				overrides[ov] = true
			}
		}
	}
	active := map[policy.CheckID]*policy.VersionedCheck{}
	for id, vc := range baseline {
		if !overrides[id] {
			active[id] = vc
		}
	}
	if level == api.LevelRestricted {
		for id, vc := range restricted {
			active[id] = vc
		}
	}
	var out []selectedCheck
	for _, id := range ordered {
		if vc, ok := active[policy.CheckID(id)]; ok {
			out = append(out, selectedCheck{id: policy.CheckID(id), fn: vc.CheckPod})
		}
	}
	return out
}

// decode turns a raw object into pod metadata and spec the way PSA does.
// The second return is false when the object has no pod template (e.g. a
// ReplicationController without spec.template), which PSA allows unchecked.
func (o *Oracle) decode(raw json.RawMessage) (*metav1.ObjectMeta, *corev1.PodSpec, bool, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil, false, errors.New(`missing "pod"`)
	}
	var tm metav1.TypeMeta
	if err := json.Unmarshal(raw, &tm); err != nil {
		return nil, nil, false, fmt.Errorf("pod is not a JSON object: %w", err)
	}
	if tm.APIVersion == "" && tm.Kind == "" {
		// A bare pod without type information: treat it as a v1 Pod.
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, nil, false, fmt.Errorf("pod is not a JSON object: %w", err)
		}
		m["apiVersion"] = json.RawMessage(`"v1"`)
		m["kind"] = json.RawMessage(`"Pod"`)
		patched, err := json.Marshal(m)
		if err != nil {
			return nil, nil, false, err
		}
		raw = patched
	}
	obj, _, err := o.decoder.Decode(raw, nil, nil)
	if err != nil {
		return nil, nil, false, fmt.Errorf("decode: %w", err)
	}
	meta, spec, err := o.extractor.ExtractPodSpec(obj)
	if err != nil {
		return nil, nil, false, err
	}
	if meta == nil && spec == nil {
		return nil, nil, false, nil
	}
	return meta, spec, true, nil
}

// Evaluate runs one case.
func (o *Oracle) Evaluate(c Case) Result {
	res := Result{Name: c.Name, Failing: []string{}, Reasons: []string{}}
	level, err := api.ParseLevel(c.Level)
	if err != nil {
		res.Error = fmt.Sprintf("level %q: %v", c.Level, err)
		return res
	}
	version, err := api.ParseVersion(c.Version)
	if err != nil {
		res.Error = fmt.Sprintf("version %q: %v", c.Version, err)
		return res
	}
	meta, spec, hasTemplate, err := o.decode(c.Pod)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	evaluated := version
	if o.maxVersion.Older(evaluated) {
		evaluated = o.maxVersion
	}
	res.EvaluatedVersion = evaluated.String()
	if !hasTemplate {
		res.Allowed = true
		return res
	}

	// The verdict, exactly as PSA computes it.
	upstream := o.evaluator.EvaluatePod(api.LevelVersion{Level: level, Version: version}, meta, spec)
	agg := policy.AggregateCheckResults(upstream)

	// The same evaluation check by check, to learn the IDs.
	selected := o.selectChecks(level, evaluated)
	perCheck := make([]policy.CheckResult, 0, len(selected))
	failing := map[string]bool{}
	for _, sc := range selected {
		r := sc.fn(meta, spec)
		perCheck = append(perCheck, r)
		if !r.Allowed {
			failing[string(sc.id)] = true
		}
	}
	if !reflect.DeepEqual(normalize(upstream), normalize(perCheck)) {
		res.Error = fmt.Sprintf("internal: per-check replay (%d checks) disagrees with EvaluatePod (%d results)",
			len(perCheck), len(upstream))
		return res
	}
	if agg.Allowed != (len(failing) == 0) {
		res.Error = "internal: aggregate verdict disagrees with failing check IDs"
		return res
	}

	res.Allowed = agg.Allowed
	for id := range failing {
		res.Failing = append(res.Failing, id)
	}
	sort.Strings(res.Failing)
	for i, reason := range agg.ForbiddenReasons {
		if d := agg.ForbiddenDetails[i]; d != "" {
			reason += " (" + d + ")"
		}
		res.Reasons = append(res.Reasons, reason)
	}
	return res
}

func normalize(rs []policy.CheckResult) []policy.CheckResult {
	if len(rs) == 0 {
		return []policy.CheckResult{}
	}
	return rs
}

// Run evaluates a whole input document.
func (o *Oracle) Run(in Input) Output {
	out := Output{Results: make([]Result, 0, len(in.Cases))}
	for _, c := range in.Cases {
		out.Results = append(out.Results, o.Evaluate(c))
	}
	return out
}

func libraryVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "k8s.io/pod-security-admission" {
				return d.Path + " " + d.Version
			}
		}
	}
	return "k8s.io/pod-security-admission (unknown version)"
}

func main() {
	about := flag.Bool("about", false, "print the upstream library version and the newest policy version it knows, then exit")
	flag.Parse()

	oracle, err := NewOracle()
	if err != nil {
		fmt.Fprintln(os.Stderr, "psa-oracle:", err)
		os.Exit(2)
	}
	if *about {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(map[string]string{
			"library":       libraryVersion(),
			"latestVersion": oracle.MaxVersion().String(),
		})
		return
	}

	data, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "psa-oracle: reading stdin:", err)
		os.Exit(2)
	}
	var in Input
	if err := json.Unmarshal(data, &in); err != nil {
		fmt.Fprintln(os.Stderr, "psa-oracle: parsing input:", err)
		os.Exit(2)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(oracle.Run(in)); err != nil {
		fmt.Fprintln(os.Stderr, "psa-oracle: writing output:", err)
		os.Exit(2)
	}
}
