package rest

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/apiserver/internal/watchcache"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/kubejson"
	"github.com/keelson-dev/keelson/pkg/scheme"
)

// watchEvent is meta/v1 WatchEvent.
type watchEvent struct {
	Type   string `json:"type"`
	Object any    `json:"object"`
}

// watch streams newline-delimited watch events, flushed one by one, until the client goes away,
// timeoutSeconds pass, the server drains, or the watch cache ends the watcher (the client then
// resumes from the last resourceVersion it saw). A resourceVersion too old to resume from is sent as
// an ERROR event carrying a 410 Expired Status, as Kubernetes does.
func (h *Handler) watch(w http.ResponseWriter, r *http.Request, req *request) {
	q := r.URL.Query()
	timeout, err := registry.ParseTimeoutSeconds(q.Get("timeoutSeconds"))
	if err != nil {
		writeError(w, err)
		return
	}
	ctx, cancel, err := registry.WatchContext(r.Context(), timeout)
	if err != nil {
		writeError(w, err)
		return
	}
	defer cancel()
	sendInitial, err := queryBool(q, "sendInitialEvents")
	if err != nil {
		writeError(w, err)
		return
	}
	bookmarks, err := queryBool(q, "allowWatchBookmarks")
	if err != nil {
		writeError(w, err)
		return
	}
	if sendInitial && (!bookmarks || q.Get("resourceVersionMatch") != "NotOlderThan") {
		writeError(w, invalidParam("sendInitialEvents", "sendInitialEvents requires allowWatchBookmarks=true and resourceVersionMatch=NotOlderThan"))
		return
	}
	asTable := wantsTable(r)
	include := q.Get("includeObject")
	if asTable && include != "" && include != "None" && include != "Object" && include != "Metadata" {
		writeError(w, apierrors.NewBadRequest("includeObject must be None, Metadata or Object, not %q", include))
		return
	}
	flusher, ok := w.(http.Flusher)
	if !ok {
		writeError(w, apierrors.NewInternal(errNoFlush))
		return
	}
	wt, err := req.store.Watch(ctx, req.namespace, registry.WatchOptions{
		LabelSelector:     q.Get("labelSelector"),
		FieldSelector:     q.Get("fieldSelector"),
		ResourceVersion:   q.Get("resourceVersion"),
		AllowBookmarks:    bookmarks,
		SendInitialEvents: sendInitial,
	})
	if err != nil && !apierrors.IsGone(err) {
		writeError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Transfer-Encoding", "chunked")
	w.WriteHeader(http.StatusOK)
	enc := json.NewEncoder(w)
	if err != nil {
		_ = enc.Encode(watchEvent{Type: "ERROR", Object: statusFor(err)})
		flusher.Flush()
		return
	}
	defer wt.Stop()
	flusher.Flush()
	p := printerFor(req.kind.Kind)
	first := true
	for {
		select {
		case <-ctx.Done():
			return
		case <-h.reg.Draining():
			return
		case e, ok := <-wt.Events():
			if !ok {
				return
			}
			out, err := h.eventObject(req.kind, p, e, asTable, include, first)
			if err != nil {
				_ = enc.Encode(watchEvent{Type: "ERROR", Object: statusFor(err)})
				flusher.Flush()
				return
			}
			first = false
			if err := enc.Encode(watchEvent{Type: string(e.Type), Object: out}); err != nil {
				return
			}
			flusher.Flush()
		}
	}
}

// eventObject is the object a watch event carries: the Kubernetes JSON object, a one-row Table when
// the client asked for tables (column definitions in the first only), or for a BOOKMARK an object
// carrying only its resourceVersion and annotations.
func (h *Handler) eventObject(k *scheme.Kind, p printer, e *watchcache.Event, asTable bool, include string, first bool) (any, error) {
	if e.Type == watchcache.Bookmark {
		meta := map[string]any{"resourceVersion": strconv.FormatInt(e.Rev, 10)}
		if a := e.Object.GetMetadata().GetAnnotations(); len(a) > 0 {
			meta["annotations"] = a
		}
		if asTable {
			return &table{Kind: "Table", APIVersion: "meta.k8s.io/v1", Metadata: listMeta{ResourceVersion: strconv.FormatInt(e.Rev, 10)},
				ColumnDefinitions: []tableColumn{}, Rows: []tableRow{}}, nil
		}
		return map[string]any{"kind": k.Kind, "apiVersion": k.APIVersion(), "metadata": meta}, nil
	}
	if !asTable {
		return kubejson.ToMap(k, e.Object)
	}
	row, err := tableRowFor(k, p, e.Object, include, time.Now())
	if err != nil {
		return nil, err
	}
	t := &table{Kind: "Table", APIVersion: "meta.k8s.io/v1", Metadata: listMeta{ResourceVersion: e.Object.GetMetadata().GetResourceVersion()},
		ColumnDefinitions: []tableColumn{}, Rows: []tableRow{row}}
	if first {
		t.ColumnDefinitions = p.columns
	}
	return t, nil
}
