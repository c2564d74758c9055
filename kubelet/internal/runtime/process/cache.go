package process

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

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
	r.recordsMu.Lock()
	cached, ok := r.sandboxes[id]
	r.recordsMu.Unlock()
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

// skipSandbox reports whether sandbox id's labels, if known, do not match sel. Labels never change.
func (r *Runtime) skipSandbox(id string, sel map[string]string) bool {
	r.recordsMu.Lock()
	defer r.recordsMu.Unlock()
	s, ok := r.sandboxes[id]
	return ok && !matchLabels(s.rec.Labels, sel)
}

// forget drops the cached records of a removed container or sandbox.
func (r *Runtime) forget(id string) {
	r.recordsMu.Lock()
	defer r.recordsMu.Unlock()
	delete(r.containers, id)
	delete(r.runs, id)
	delete(r.sandboxes, id)
}

// loadContainer reads a container's record; cri.ErrNotFound if there is none.
func (r *Runtime) loadContainer(id string) (*containerRecord, error) {
	if err := validID(id); err != nil {
		return nil, err
	}
	r.recordsMu.Lock()
	cached, ok := r.containers[id]
	r.recordsMu.Unlock()
	if ok {
		c := *cached // callers may set fields of their copy
		return &c, nil
	}
	var c containerRecord
	if err := readJSON(filepath.Join(r.containerDir(id), configFile), &c); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("container %s: %w", id, cri.ErrNotFound)
		}
		return nil, err
	}
	stored := c
	r.recordsMu.Lock()
	r.containers[id] = &stored
	r.recordsMu.Unlock()
	return &c, nil
}

// loadRun returns a container's started and exit records, reading from its directory those not
// cached yet. The records are shared: callers must not change them.
func (r *Runtime) loadRun(id string) runRecords {
	r.recordsMu.Lock()
	run := r.runs[id]
	r.recordsMu.Unlock()
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
