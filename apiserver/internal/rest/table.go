package rest

import (
	"net/http"
	"strings"
	"time"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/kubejson"
	"github.com/keelson-dev/keelson/pkg/scheme"
)

// tableMediaType is the Accept parameter set kubectl get sends to ask for a meta.k8s.io/v1 Table.
func wantsTable(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		params := map[string]string{}
		fields := strings.Split(part, ";")
		for _, p := range fields[1:] {
			if k, v, ok := strings.Cut(strings.TrimSpace(p), "="); ok {
				params[k] = v
			}
		}
		if strings.TrimSpace(fields[0]) == "application/json" && params["as"] == "Table" &&
			params["g"] == "meta.k8s.io" && (params["v"] == "v1" || params["v"] == "v1beta1") {
			return true
		}
	}
	return false
}

type tableColumn struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Format      string `json:"format"`
	Description string `json:"description"`
	Priority    int32  `json:"priority"`
}

type tableRow struct {
	Cells  []any `json:"cells"`
	Object any   `json:"object,omitempty"`
}

type table struct {
	Kind              string        `json:"kind"`
	APIVersion        string        `json:"apiVersion"`
	Metadata          listMeta      `json:"metadata"`
	ColumnDefinitions []tableColumn `json:"columnDefinitions"`
	Rows              []tableRow    `json:"rows"`
}

// table builds a Table of objs with the columns Kubernetes prints for k. includeObject=Metadata
// (the default) puts each row's PartialObjectMetadata in its object, Object the full object, None
// nothing.
func (h *Handler) table(r *http.Request, k *scheme.Kind, objs []scheme.Object, rv, cont string) (*table, error) {
	include := r.URL.Query().Get("includeObject")
	if include != "" && include != "None" && include != "Object" && include != "Metadata" {
		return nil, apierrors.NewBadRequest("includeObject must be None, Metadata or Object, not %q", include)
	}
	p := printerFor(k.Kind)
	t := &table{
		Kind:              "Table",
		APIVersion:        "meta.k8s.io/v1",
		Metadata:          listMeta{ResourceVersion: rv, Continue: cont},
		ColumnDefinitions: p.columns,
		Rows:              make([]tableRow, 0, len(objs)),
	}
	now := time.Now()
	for _, o := range objs {
		row, err := tableRowFor(k, p, o, include, now)
		if err != nil {
			return nil, err
		}
		t.Rows = append(t.Rows, row)
	}
	return t, nil
}

// tableRowFor prints one object.
func tableRowFor(k *scheme.Kind, p printer, o scheme.Object, include string, now time.Time) (tableRow, error) {
	m, err := kubejson.ToMap(k, o)
	if err != nil {
		return tableRow{}, apierrors.NewInternal(err)
	}
	row := tableRow{Cells: p.cells(obj(m), now)}
	switch include {
	case "None":
	case "Object":
		row.Object = m
	default:
		row.Object = map[string]any{
			"kind":       "PartialObjectMetadata",
			"apiVersion": "meta.k8s.io/v1",
			"metadata":   m["metadata"],
		}
	}
	return row, nil
}
