package strategy

import (
	"testing"

	"google.golang.org/protobuf/proto"

	batchv1 "github.com/keelson-dev/keelson/proto/batch/v1"
)

func validJob() *batchv1.Job {
	t := webTemplate()
	t.Spec.RestartPolicy = "Never"
	return defaulted(jobStrategy{}, &batchv1.Job{Metadata: meta("pi"), Spec: &batchv1.JobSpec{Template: t}})
}

func TestJobDefault(t *testing.T) {
	j := validJob()
	s := j.Spec
	if s.GetParallelism() != 1 || s.GetCompletions() != 1 || s.GetBackoffLimit() != 6 || s.GetCompletionMode() != "NonIndexed" ||
		s.Suspend == nil || s.GetSuspend() || s.GetPodReplacementPolicy() != "TerminatingOrFailed" {
		t.Errorf("Default: %v", s)
	}
	if s.Selector.MatchLabels[jobControllerUIDLabel] != "uid-pi" {
		t.Errorf("selector not generated: %v", s.Selector)
	}
	for k, v := range map[string]string{jobControllerUIDLabel: "uid-pi", jobLegacyControllerUIDLabel: "uid-pi", jobNameLabel: "pi", jobLegacyNameLabel: "pi", "app": "web"} {
		if s.Template.Metadata.Labels[k] != v {
			t.Errorf("template label %s = %q, want %q", k, s.Template.Metadata.Labels[k], v)
		}
	}
	p := defaulted(jobStrategy{}, &batchv1.Job{Metadata: meta("p"), Spec: &batchv1.JobSpec{Parallelism: proto.Int32(3), Template: webTemplate()}})
	if p.Spec.Completions != nil || p.Spec.GetParallelism() != 3 {
		t.Errorf("a job with only parallelism gets completions %v", p.Spec.Completions)
	}
}

func TestJobValidate(t *testing.T) {
	runValidation(t, jobStrategy{}, validJob, []fieldCase[*batchv1.Job]{
		{"restart policy Always", func(j *batchv1.Job) { j.Spec.Template.Spec.RestartPolicy = "Always" }, []string{"spec.template.spec.restartPolicy"}},
		{"negative parallelism", func(j *batchv1.Job) { j.Spec.Parallelism = proto.Int32(-1) }, []string{"spec.parallelism"}},
		{"negative completions", func(j *batchv1.Job) { j.Spec.Completions = proto.Int32(-1) }, []string{"spec.completions"}},
		{"negative backoff", func(j *batchv1.Job) { j.Spec.BackoffLimit = proto.Int32(-1) }, []string{"spec.backoffLimit"}},
		{"negative deadline", func(j *batchv1.Job) { j.Spec.ActiveDeadlineSeconds = proto.Int64(-1) }, []string{"spec.activeDeadlineSeconds"}},
		{"bad completion mode", func(j *batchv1.Job) { j.Spec.CompletionMode = proto.String("Ordered") }, []string{"spec.completionMode"}},
		{"indexed without completions", func(j *batchv1.Job) {
			j.Spec.CompletionMode = proto.String("Indexed")
			j.Spec.Completions = nil
		}, []string{"spec.completions"}},
		{"selector not generated", func(j *batchv1.Job) {
			j.Spec.Selector.MatchLabels[jobControllerUIDLabel] = "other"
		}, []string{"spec.selector", "spec.template.metadata.labels"}},
		{"pod failure policy without requirement", func(j *batchv1.Job) {
			j.Spec.PodFailurePolicy = &batchv1.PodFailurePolicy{Rules: []*batchv1.PodFailurePolicyRule{{Action: "FailJob"}}}
		}, []string{"spec.podFailurePolicy.rules[0]"}},
	})
	manual := func() *batchv1.Job {
		t := webTemplate()
		t.Spec.RestartPolicy = "OnFailure"
		return defaulted(jobStrategy{}, &batchv1.Job{Metadata: meta("m"), Spec: &batchv1.JobSpec{
			ManualSelector: proto.Bool(true), Selector: webSelector(), Template: t,
		}})
	}
	runValidation(t, jobStrategy{}, manual, []fieldCase[*batchv1.Job]{
		{"manual without selector", func(j *batchv1.Job) { j.Spec.Selector = nil }, []string{"spec.selector"}},
	})
}

func TestJobUpdate(t *testing.T) {
	runUpdate(t, jobStrategy{}, validJob, []fieldCase[*batchv1.Job]{
		{"suspend", func(j *batchv1.Job) { j.Spec.Suspend = proto.Bool(true) }, nil},
		{"parallelism", func(j *batchv1.Job) { j.Spec.Parallelism = proto.Int32(4) }, nil},
		{"template changed", func(j *batchv1.Job) { j.Spec.Template.Spec.Containers[0].Image = "perl:5" }, []string{"spec.template"}},
		{"completions changed", func(j *batchv1.Job) { j.Spec.Completions = proto.Int32(5) }, []string{"spec.completions"}},
	})
}

func TestJobStatusAndFields(t *testing.T) {
	runStatus(t, jobStrategy{}, validJob, []fieldCase[*batchv1.Job]{
		{"valid", func(j *batchv1.Job) { j.Status = &batchv1.JobStatus{Active: 1, Succeeded: 2} }, nil},
		{"negative failed", func(j *batchv1.Job) { j.Status = &batchv1.JobStatus{Failed: -1} }, []string{"status.failed"}},
	})
	j := validJob()
	j.Status = &batchv1.JobStatus{Succeeded: 2}
	if f := (jobStrategy{}).SelectableFields(j); f["status.successful"] != "2" || len(f) != 3 {
		t.Errorf("SelectableFields = %v", f)
	}
}
