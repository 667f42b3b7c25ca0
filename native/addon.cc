// Node-API glue for the native indexer: src/io/native-index.ts is its only caller.
#include <node_api.h>

#include <cstdlib>
#include <cstring>
#include <string>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "indexer.h"
#include "subject.h"

namespace {

#define CHECK(call)                                       \
  do {                                                    \
    if ((call) != napi_ok) {                              \
      napi_throw_error(env, nullptr, "native: " #call);   \
      return nullptr;                                     \
    }                                                     \
  } while (0)

bool get_number(napi_env env, napi_value obj, const char* key, double* out) {
  bool has = false;
  if (napi_has_named_property(env, obj, key, &has) != napi_ok || !has) return false;
  napi_value v;
  if (napi_get_named_property(env, obj, key, &v) != napi_ok) return false;
  return napi_get_value_double(env, v, out) == napi_ok;
}

bool read_options(napi_env env, napi_value obj, pca::IndexOptions& o) {
  bool csv = false;
  napi_value v;
  if (napi_get_named_property(env, obj, "csv", &v) == napi_ok) napi_get_value_bool(env, v, &csv);
  o.csv = csv;
  double d;
  if (get_number(env, obj, "start", &d)) o.start = static_cast<uint64_t>(d);
  if (get_number(env, obj, "line", &d)) o.line = static_cast<uint32_t>(d);
  if (get_number(env, obj, "expectedRows", &d)) o.expectedRows = d;
  if (get_number(env, obj, "block", &d) && d >= 1) o.block = static_cast<size_t>(d);
  if (csv) {
    napi_value cols;
    if (napi_get_named_property(env, obj, "columns", &cols) != napi_ok) return false;
    uint32_t n = 0;
    if (napi_get_array_length(env, cols, &n) != napi_ok) return false;
    for (uint32_t k = 0; k < n; k++) {
      napi_value e;
      int32_t f;
      if (napi_get_element(env, cols, k, &e) != napi_ok || napi_get_value_int32(env, e, &f) != napi_ok) return false;
      o.columns.push_back(f);
    }
  }
  return true;
}

napi_value column(napi_env env, pca::Column& c) {
  napi_value ab;
  void* data = nullptr;
  if (napi_create_arraybuffer(env, c.bytes, &data, &ab) != napi_ok) return nullptr;
  if (c.bytes > 0) std::memcpy(data, c.data, c.bytes);
  std::free(c.data);
  c.data = nullptr;
  return ab;
}

void set(napi_env env, napi_value obj, const char* key, napi_value v) { napi_set_named_property(env, obj, key, v); }
void set_number(napi_env env, napi_value obj, const char* key, double d) {
  napi_value v;
  napi_create_double(env, d, &v);
  set(env, obj, key, v);
}

napi_value bytes_value(napi_env env, const std::string& s) {
  napi_value ab, arr;
  void* data;
  napi_create_arraybuffer(env, s.size(), &data, &ab);
  if (!s.empty()) std::memcpy(data, s.data(), s.size());
  napi_create_typedarray(env, napi_uint8_array, s.size(), ab, 0, &arr);
  return arr;
}

/** The result as a plain object (its columns copied into ArrayBuffers, freed here as they go). */
napi_value to_js(napi_env env, pca::IndexResult& r) {
  if (!r.systemError.empty()) {
    pca::free_result(r);
    napi_throw_error(env, "ENATIVE", r.systemError.c_str());
    return nullptr;
  }
  napi_value obj;
  napi_create_object(env, &obj);
  napi_value ok;
  napi_get_boolean(env, r.ok, &ok);
  set(env, obj, "ok", ok);
  if (!r.ok) {
    set_number(env, obj, "errorAt", static_cast<double>(r.errorAt));
    pca::free_result(r);
    return obj;
  }
  set_number(env, obj, "count", r.count);
  struct {
    const char* key;
    pca::Column* col;
  } cols[] = {{"arena", &r.arena},         {"serialStart", &r.serialStart}, {"fpA", &r.fpA},
              {"fpB", &r.fpB},             {"fpExt", &r.fpExt},             {"revokedAt", &r.revokedAt},
              {"notAfter", &r.notAfter},   {"reason", &r.reason},           {"flags", &r.flags},
              {"caId", &r.caId},           {"offset", &r.offset},           {"line", &r.line},
              {"table", &r.table}};
  for (auto& c : cols) {
    napi_value ab = column(env, *c.col);
    if (ab == nullptr) {
      pca::free_result(r);
      napi_throw_error(env, "ENATIVE", "out of memory");
      return nullptr;
    }
    set(env, obj, c.key, ab);
  }
  napi_value b;
  napi_get_boolean(env, r.offset64, &b);
  set(env, obj, "offset64", b);
  set_number(env, obj, "revoked", r.revoked);
  napi_value reasons;
  napi_create_array_with_length(env, 256, &reasons);
  for (uint32_t k = 0; k < 256; k++) {
    napi_value n;
    napi_create_uint32(env, r.reasonCounts[k], &n);
    napi_set_element(env, reasons, k, n);
  }
  set(env, obj, "reasonCounts", reasons);
  set_number(env, obj, "latest", r.latest);
  napi_value cas, caCounts, templates, templateCounts;
  napi_create_array_with_length(env, r.caPrefixes.size(), &cas);
  napi_create_array_with_length(env, r.caCounts.size(), &caCounts);
  for (uint32_t k = 0; k < r.caPrefixes.size(); k++) {
    napi_set_element(env, cas, k, bytes_value(env, r.caPrefixes[k]));
    napi_value n;
    napi_create_uint32(env, r.caCounts[k], &n);
    napi_set_element(env, caCounts, k, n);
  }
  napi_create_array_with_length(env, r.templates.size(), &templates);
  napi_create_array_with_length(env, r.templateCounts.size(), &templateCounts);
  for (uint32_t k = 0; k < r.templates.size(); k++) {
    napi_set_element(env, templates, k, bytes_value(env, r.templates[k]));
    napi_value n;
    napi_create_uint32(env, r.templateCounts[k], &n);
    napi_set_element(env, templateCounts, k, n);
  }
  set(env, obj, "caPrefixes", cas);
  set(env, obj, "caCounts", caCounts);
  set(env, obj, "templates", templates);
  set(env, obj, "templateCounts", templateCounts);
  set_number(env, obj, "noTemplate", r.noTemplate);
  set_number(env, obj, "seenMask", r.seenMask);
  napi_value eab, events;
  void* edata;
  size_t ebytes = r.events.size() * sizeof(int32_t);
  napi_create_arraybuffer(env, ebytes, &edata, &eab);
  if (ebytes > 0) std::memcpy(edata, r.events.data(), ebytes);
  napi_create_typedarray(env, napi_int32_array, r.events.size(), eab, 0, &events);
  set(env, obj, "events", events);
  return obj;
}

struct FileJob {
  napi_async_work work;
  napi_deferred deferred;
  std::string path;
  pca::IndexOptions options;
  pca::IndexResult result;
};

void file_execute(napi_env, void* data) {
  auto* job = static_cast<FileJob*>(data);
  pca::index_file(job->path.c_str(), job->options, job->result);
}

void file_complete(napi_env env, napi_status status, void* data) {
  auto* job = static_cast<FileJob*>(data);
  napi_value value = to_js(env, job->result);
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (pending || value == nullptr) {
    napi_value err;
    napi_get_and_clear_last_exception(env, &err);
    napi_reject_deferred(env, job->deferred, err);
  } else {
    napi_resolve_deferred(env, job->deferred, value);
  }
  napi_delete_async_work(env, job->work);
  delete job;
}

/** indexFile(path, options): Promise<result>, indexed on the libuv thread pool. */
napi_value IndexFile(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  auto* job = new FileJob();
  size_t len = 0;
  if (napi_get_value_string_utf8(env, argv[0], nullptr, 0, &len) != napi_ok) {
    delete job;
    napi_throw_type_error(env, nullptr, "indexFile: path must be a string");
    return nullptr;
  }
  job->path.resize(len + 1);
  napi_get_value_string_utf8(env, argv[0], job->path.data(), len + 1, &len);
  job->path.resize(len);
  if (!read_options(env, argv[1], job->options)) {
    delete job;
    napi_throw_type_error(env, nullptr, "indexFile: bad options");
    return nullptr;
  }
  napi_value promise, name;
  CHECK(napi_create_promise(env, &job->deferred, &promise));
  CHECK(napi_create_string_utf8(env, "pca-audit:index", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_create_async_work(env, nullptr, name, file_execute, file_complete, job, &job->work));
  CHECK(napi_queue_async_work(env, job->work));
  return promise;
}

bool get_bytes(napi_env env, napi_value v, const uint8_t** data, size_t* n) {
  napi_typedarray_type type;
  napi_value ab;
  size_t offset;
  void* p;
  if (napi_get_typedarray_info(env, v, &type, n, &p, &ab, &offset) != napi_ok || type != napi_uint8_array)
    return false;
  *data = static_cast<const uint8_t*>(p);
  return true;
}

/** indexBuffer(bytes, options): result, synchronously (tests, and small inputs). */
napi_value IndexBuffer(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  const uint8_t* data;
  size_t n;
  if (!get_bytes(env, argv[0], &data, &n)) {
    napi_throw_type_error(env, nullptr, "indexBuffer: expected a Uint8Array");
    return nullptr;
  }
  pca::IndexOptions options;
  if (!read_options(env, argv[1], options)) {
    napi_throw_type_error(env, nullptr, "indexBuffer: bad options");
    return nullptr;
  }
  pca::IndexResult result;
  pca::index_buffer(data, n, options, result);
  return to_js(env, result);
}

bool typed(napi_env env, napi_value v, size_t* n, void** data) {
  napi_typedarray_type type;
  napi_value ab;
  size_t offset;
  return napi_get_typedarray_info(env, v, &type, n, data, &ab, &offset) == napi_ok;
}

bool join_side(napi_env env, napi_value obj, pca::JoinSide& side) {
  napi_value v;
  size_t n;
  void* p;
  const char* keys[] = {"arena", "serialStart", "flags", "table"};
  void* ptrs[4];
  size_t lens[4];
  for (int k = 0; k < 4; k++) {
    if (napi_get_named_property(env, obj, keys[k], &v) != napi_ok || !typed(env, v, &n, &p)) return false;
    ptrs[k] = p;
    lens[k] = n;
  }
  double count;
  if (!get_number(env, obj, "count", &count)) return false;
  side.arena = static_cast<const uint8_t*>(ptrs[0]);
  side.serialStart = static_cast<const uint32_t*>(ptrs[1]);
  side.flags = static_cast<const uint8_t*>(ptrs[2]);
  side.table = static_cast<const int32_t*>(ptrs[3]);
  side.tableSize = lens[3];
  side.count = static_cast<uint32_t>(count);
  // the columns must cover count entries, and the table be a power of two
  return lens[1] >= side.count + 1 && lens[2] >= side.count && side.tableSize > 0 &&
         (side.tableSize & (side.tableSize - 1)) == 0 &&
         (side.count == 0 || lens[0] >= side.serialStart[side.count]);
}

/** joinSerials(oldIndex, newIndex): Int32Array, see pca::join_serials. */
napi_value JoinSerials(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  pca::JoinSide o, n;
  if (argc < 2 || !join_side(env, argv[0], o) || !join_side(env, argv[1], n)) {
    napi_throw_type_error(env, nullptr, "joinSerials: expected two report indexes");
    return nullptr;
  }
  napi_value ab, out;
  void* data;
  CHECK(napi_create_arraybuffer(env, static_cast<size_t>(n.count) * 4, &data, &ab));
  pca::join_serials(o, n, static_cast<int32_t*>(data));
  CHECK(napi_create_typedarray(env, napi_int32_array, n.count, ab, 0, &out));
  return out;
}

/** A building block over one Uint8Array argument, for the tests: parseInstant and subjectOk. */
template <napi_value (*Answer)(napi_env, const uint8_t*, size_t)>
napi_value OverBytes(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  const uint8_t* data;
  size_t n;
  if (argc < 1 || !get_bytes(env, argv[0], &data, &n)) {
    napi_throw_type_error(env, nullptr, "expected a Uint8Array");
    return nullptr;
  }
  return Answer(env, data, n);
}

napi_value instant_of(napi_env env, const uint8_t* data, size_t n) {
  napi_value v = nullptr;
  napi_create_double(env, pca::parse_instant(data, n), &v);
  return v;
}

napi_value subject_ok_of(napi_env env, const uint8_t* data, size_t n) {
  napi_value v = nullptr;
  napi_get_boolean(env, pca::subject_ok(data, n), &v);
  return v;
}

napi_value Init(napi_env env, napi_value exports) {
#ifdef __GLIBC__
  // The index's columns are tens of MiB, allocated on pool threads and freed once copied into the
  // JavaScript heap. glibc would raise its mmap threshold after the first such free and keep later
  // columns in its arenas, resident after free: a fixed threshold keeps every big block mmap'd, so
  // freeing it gives the memory back at once.
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
#endif
  napi_property_descriptor props[] = {
      {"indexFile", nullptr, IndexFile, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"indexBuffer", nullptr, IndexBuffer, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"joinSerials", nullptr, JoinSerials, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"parseInstant", nullptr, OverBytes<instant_of>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"subjectOk", nullptr, OverBytes<subject_ok_of>, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
