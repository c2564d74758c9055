package process

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/keelson-dev/keelson/kubelet/internal/cri"
)

// The Runtime caches what it reads of its state files, because the relister lists every sandbox
// and container of the node each relist period and every pod worker lists its own at each sync:
// reading and decoding a few files per container each time made the kubelet's CPU grow with the
// number of containers it runs. What is cached and how it is kept true:
//
//   - config.json never changes once written: cached for good.
//   - started.json and exit.json are written once each, by the monitor: cached once read. Only a
//     running container's state is still looked at: whether exit.json has appeared and whether
//     the monitor and process live.
//   - sandbox.json changes (Ready to NotReady), and possibly by another Runtime on the same root:
//     its cached record is used while the file's identity (inode, size, change and modification
//     times) is the same; every write replaces the file by a rename, so a write changes it.
//   - the entries of the sandboxes and containers directories change as they are made and
//     removed, by this Runtime or another: a listing is used while the directory's identity is
//     the same, and only if it was read well after the directory last changed. File times come
//     from a clock that ticks every few milliseconds, so a change made in the same tick as the
//     read would not change them; one made after racyWindow always does. A listing of everything
//     (the relister's) reads the directory anyway.

// runRecords are the records a container's monitor wrote; nil until written.
type runRecords struct {
	started *startedRecord
	exit    *exitRecord
}

// cachedSandbox is a sandbox record and the identity of the file it was read from.
type cachedSandbox struct {
	rec sandboxRecord
	id  fileID
}

// fileID tells one version of a file apart from the next.
type fileID struct {
	ino, size    int64
	mtime, ctime syscall.Timespec
}

func fileIDOf(fi os.FileInfo) (fileID, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileID{}, false
	}
	return fileID{ino: int64(st.Ino), size: st.Size, mtime: st.Mtim, ctime: st.Ctim}, true
}

// loadSandbox reads a sandbox's record; cri.ErrNotFound if there is none. The caller owns the
// returned copy (its maps are shared and must not be changed).
func (r *Runtime) loadSandbox(id string) (*sandboxRecord, error) {
	if err := validID(id); err != nil {
		return nil, err
	}
	path := filepath.Join(r.sandboxDir(id), sandboxFile)
	fi, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("sandbox %s: %w", id, cri.ErrNotFound)
		}
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	fid, identified := fileIDOf(fi)
	r.recordsMu.RLock()
	cached, ok := r.sandboxes[id]
	r.recordsMu.RUnlock()
	if ok && identified && cached.id == fid {
		s := cached.rec
		return &s, nil
	}
	var s sandboxRecord
	if err := readJSON(path, &s); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("sandbox %s: %w", id, cri.ErrNotFound)
		}
		return nil, err
	}
	if identified {
		// Stamped with the identity seen before the read: if the file was replaced in between, the
		// next load sees a different identity and reads again.
		r.recordsMu.Lock()
		r.sandboxes[id] = &cachedSandbox{rec: s, id: fid}
		r.recordsMu.Unlock()
	}
	return &s, nil
}

// sandboxCandidates narrows ids to those filter may select, going by what never changes in the
// records cached (IDs and labels): a pod worker lists its pod's sandboxes at every sync, while the
// node may have hundreds.
func (r *Runtime) sandboxCandidates(ids []string, filter *cri.SandboxFilter) []string {
	return r.candidates(ids, filter.ID, func(id string) bool {
		s, ok := r.sandboxes[id]
		return ok && !matchLabels(s.rec.Labels, filter.LabelSelector)
	})
}

// containerCandidates is sandboxCandidates for containers, which never change their sandbox
// either.
func (r *Runtime) containerCandidates(ids []string, filter *cri.ContainerFilter) []string {
	return r.candidates(ids, filter.ID, func(id string) bool {
		c, ok := r.containers[id]
		return ok && (filter.PodSandboxID != "" && filter.PodSandboxID != c.SandboxID || !matchLabels(c.Labels, filter.LabelSelector))
	})
}

// candidates keeps the ids that are only (if set) and that excluded, called under one read lock
// of the caches, does not rule out.
func (r *Runtime) candidates(ids []string, only string, excluded func(id string) bool) []string {
	r.recordsMu.RLock()
	defer r.recordsMu.RUnlock()
	var out []string
	for _, id := range ids {
		if only != "" && only != id || excluded(id) {
			continue
		}
		out = append(out, id)
	}
	return out
}

// forget drops the cached records of a removed container or sandbox.
func (r *Runtime) forget(id string) {
	r.recordsMu.Lock()
	defer r.recordsMu.Unlock()
	delete(r.containers, id)
	delete(r.runs, id)
	delete(r.sandboxes, id)
}

// loadContainer reads a container's record; cri.ErrNotFound if there is none. The caller owns
// the returned copy (its maps and slices are shared and must not be changed).
func (r *Runtime) loadContainer(id string) (*containerRecord, error) {
	shared, err := r.sharedContainer(id)
	if err != nil {
		return nil, err
	}
	c := *shared
	return &c, nil
}

// sharedContainer is loadContainer without the copy, for callers that only read the record.
func (r *Runtime) sharedContainer(id string) (*containerRecord, error) {
	if err := validID(id); err != nil {
		return nil, err
	}
	r.recordsMu.RLock()
	cached, ok := r.containers[id]
	r.recordsMu.RUnlock()
	if ok {
		return cached, nil
	}
	c := &containerRecord{}
	if err := readJSON(filepath.Join(r.containerDir(id), configFile), c); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("container %s: %w", id, cri.ErrNotFound)
		}
		return nil, err
	}
	r.recordsMu.Lock()
	r.containers[id] = c
	r.recordsMu.Unlock()
	return c, nil
}

// loadRun returns a container's started and exit records, reading from its directory those not
// cached yet. The records are shared: callers must not change them.
func (r *Runtime) loadRun(id string) runRecords {
	r.recordsMu.RLock()
	run := r.runs[id]
	r.recordsMu.RUnlock()
	if run.exit != nil {
		return run
	}
	dir := r.containerDir(id)
	// exit.json first: a monitor writes it after started.json, so a container seen ended was seen
	// started too (if it ever started).
	var ex exitRecord
	if readJSON(filepath.Join(dir, exitFile), &ex) == nil {
		run.exit = &ex
	}
	if run.started == nil {
		var sr startedRecord
		if readJSON(filepath.Join(dir, startedFile), &sr) == nil {
			run.started = &sr
		}
	}
	r.storeRun(id, run)
	return run
}

// recheckExit reads exit.json again, for a container whose monitor and process were found gone:
// the monitor may have written it since loadRun looked.
func (r *Runtime) recheckExit(id string, run runRecords) runRecords {
	var ex exitRecord
	if readJSON(filepath.Join(r.containerDir(id), exitFile), &ex) == nil {
		run.exit = &ex
		r.storeRun(id, run)
	}
	return run
}

func (r *Runtime) storeRun(id string, run runRecords) {
	if run.started == nil && run.exit == nil {
		return
	}
	r.recordsMu.Lock()
	defer r.recordsMu.Unlock()
	if _, ok := r.containers[id]; ok { // not for a container removed meanwhile
		r.runs[id] = run
	}
}

// racyWindow is how long after a directory changed its listing is cached: longer than the tick of
// the kernel's file time clock (10 ms at the lowest HZ).
const racyWindow = 25 * time.Millisecond

// dirIndex is the cached listing of one state directory.
type dirIndex struct {
	mu  sync.Mutex
	ids []string // shared: never changed once stored
	id  fileID
	ok  bool
}

// ids lists the entries of one of the state directories: idx's when it is still true, unless
// fresh asks for a read.
func (r *Runtime) ids(dir string, idx *dirIndex, fresh bool) ([]string, error) {
	p := filepath.Join(r.opts.Root, dir)
	// Before the stat: a change after the stat is then stamped after start-racyWindow.
	start := time.Now()
	fi, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	fid, identified := fileIDOf(fi)
	if !fresh && identified {
		idx.mu.Lock()
		ids, ok := idx.ids, idx.ok && idx.id == fid
		idx.mu.Unlock()
		if ok {
			return ids, nil
		}
	}
	entries, err := os.ReadDir(p)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	ids := make([]string, 0, len(entries))
	for _, e := range entries {
		if e.IsDir() {
			ids = append(ids, e.Name())
		}
	}
	// Stamped with the identity seen before the read, as loadSandbox does.
	idx.mu.Lock()
	idx.ids, idx.id, idx.ok = ids, fid, identified && fi.ModTime().Add(racyWindow).Before(start)
	idx.mu.Unlock()
	return ids, nil
}
