package kubeletapi

import (
	"net/url"
	"strconv"
	"time"

	"github.com/keelson-dev/keelson/pkg/queryparam"
	"github.com/keelson-dev/keelson/pkg/validation/field"
)

// Query parameters of a container log request, as Kubernetes names them.
const (
	ParamFollow       = "follow"
	ParamPrevious     = "previous"
	ParamTimestamps   = "timestamps"
	ParamTailLines    = "tailLines"
	ParamLimitBytes   = "limitBytes"
	ParamSinceSeconds = "sinceSeconds"
	ParamSinceTime    = "sinceTime"
)

// LogOptions says which part of a container's log to serve and how: the kubelet's side of
// core/v1 PodLogOptions. The zero value asks for the whole current log, once. A nil number is
// absent, which is not the same as 0.
type LogOptions struct {
	// Follow keeps the stream open and sends lines as the container writes them.
	Follow bool
	// Previous serves the log of the container's previous, terminated instance.
	Previous bool
	// Timestamps prefixes every line with its RFC 3339 time.
	Timestamps bool
	// TailLines, when set, serves only that many lines from the end (>= 0).
	TailLines *int64
	// LimitBytes, when set, ends the log after that many bytes (> 0).
	LimitBytes *int64
	// SinceSeconds, when set, serves only lines written in the last that many seconds (> 0).
	SinceSeconds *int64
	// SinceTime, when set, serves only lines written at or after it; it travels with second
	// precision. At most one of SinceSeconds and SinceTime is set.
	SinceTime *time.Time
}

// Query encodes o as the query of a /containerLogs request, as Kubernetes' apiserver builds it:
// true booleans as "true", false ones and nil numbers left out, sinceTime in RFC 3339.
func (o *LogOptions) Query() url.Values {
	v := url.Values{}
	for _, b := range []struct {
		param string
		on    bool
	}{{ParamFollow, o.Follow}, {ParamPrevious, o.Previous}, {ParamTimestamps, o.Timestamps}} {
		if b.on {
			v.Set(b.param, "true")
		}
	}
	for _, n := range o.numbers() {
		if *n.dst != nil {
			v.Set(n.param, strconv.FormatInt(**n.dst, 10))
		}
	}
	if o.SinceTime != nil {
		v.Set(ParamSinceTime, o.SinceTime.Format(time.RFC3339))
	}
	return v
}

// numberParam ties a numeric query parameter to the field of LogOptions that holds it.
type numberParam struct {
	param string
	dst   **int64
}

// numbers lists o's numeric parameters in the order they are read and reported.
func (o *LogOptions) numbers() []numberParam {
	return []numberParam{{ParamTailLines, &o.TailLines}, {ParamLimitBytes, &o.LimitBytes}, {ParamSinceSeconds, &o.SinceSeconds}}
}

// Validate checks o with Kubernetes' rules and messages; the field paths are the parameter names.
func (o *LogOptions) Validate() field.ErrorList {
	var errs field.ErrorList
	if o.TailLines != nil && *o.TailLines < 0 {
		errs = append(errs, field.Invalid(field.NewPath(ParamTailLines), *o.TailLines, "must be greater than or equal to 0"))
	}
	if o.LimitBytes != nil && *o.LimitBytes < 1 {
		errs = append(errs, field.Invalid(field.NewPath(ParamLimitBytes), *o.LimitBytes, "must be greater than 0"))
	}
	switch {
	case o.SinceSeconds != nil && o.SinceTime != nil:
		errs = append(errs, field.Forbidden(field.NewPath(""), "at most one of `sinceTime` or `sinceSeconds` may be specified"))
	case o.SinceSeconds != nil && *o.SinceSeconds < 1:
		errs = append(errs, field.Invalid(field.NewPath(ParamSinceSeconds), *o.SinceSeconds, "must be greater than 0"))
	}
	return errs
}

// ParamError says a query parameter's value could not be read at all: a boolean that is no
// boolean, a number that is not an integer, a time that is not RFC 3339. Kubernetes answers it with
// a BadRequest.
type ParamError = queryparam.Error

// ParseLogOptions decodes the query of a /containerLogs request (or of the apiserver's pods/log,
// whose other parameters it ignores). Booleans read as every boolean query parameter of the API
// does (queryparam.Bool): absent or empty is false, strconv.ParseBool's spellings are understood,
// anything else is refused. A value that cannot be read is a *ParamError;
// values that can but break Validate's rules are a *field.AggregateError naming each one. Numbers
// are read in the order tailLines, limitBytes, sinceSeconds, so the first bad one is reported.
func ParseLogOptions(q url.Values) (*LogOptions, error) {
	o := &LogOptions{}
	for _, b := range []struct {
		param string
		dst   *bool
	}{{ParamFollow, &o.Follow}, {ParamPrevious, &o.Previous}, {ParamTimestamps, &o.Timestamps}} {
		v, err := queryparam.Bool(q, b.param)
		if err != nil {
			return nil, err
		}
		*b.dst = v
	}
	for _, n := range o.numbers() {
		if _, ok := q[n.param]; !ok {
			continue
		}
		s := q.Get(n.param)
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, &ParamError{Param: n.param, Value: s, Want: "an integer"}
		}
		*n.dst = &v
	}
	if _, ok := q[ParamSinceTime]; ok {
		s := q.Get(ParamSinceTime)
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return nil, &ParamError{Param: ParamSinceTime, Value: s, Want: "an RFC 3339 time"}
		}
		o.SinceTime = &t
	}
	if err := o.Validate().ToAggregate(); err != nil {
		return nil, err
	}
	return o, nil
}
