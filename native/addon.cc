// Node-API glue for the native indexer: src/io/native-index.ts is its only caller.
#include <node_api.h>
#include <v8.h>

#include <cstdlib>
#include <cstring>
#include <memory>
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

/**
 * A column as an ArrayBuffer over the native memory itself: no copy (a copy costs time on the main
 * thread and, while it is made, the column twice). Made with V8's own API, not Node-API's
 * external buffers: those are freed only when the garbage collector finalises them, while this
 * memory is freed as soon as the buffer is detached (see detach) or collected.
 */
napi_value column(napi_env env, pca::Column& c) {
  napi_value ab;
  if (c.bytes == 0 || c.data == nullptr) {
    void* data = nullptr;
    if (napi_create_arraybuffer(env, 0, &data, &ab) != napi_ok) return nullptr;
    std::free(c.data);
    c.data = nullptr;
    return ab;
  }
  std::unique_ptr<v8::BackingStore> store = v8::ArrayBuffer::NewBackingStore(
      c.data, c.bytes, [](void* data, size_t, void*) { std::free(data); }, nullptr);
  c.data = nullptr;
  v8::Local<v8::ArrayBuffer> local = v8::ArrayBuffer::New(v8::Isolate::GetCurrent(), std::move(store));
  // a napi_value is a v8::Local<v8::Value> (Node-API's own conversion is this cast)
  static_assert(sizeof(ab) == sizeof(local), "napi_value and v8::Local differ in size");
  std::memcpy(&ab, &local, sizeof ab);
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

/** The result as a plain object, its columns handed over as external ArrayBuffers. */
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
  } cols[] = {{"arena", &r.arena},
              {"serialStart", &r.serialStart},
              {"fpA", &r.fpA},
              {"fpB", &r.fpB},
              {"group", &r.group},
              {"groupCa", &r.groupCa},
              {"groupExt", &r.groupExt},
              {"groupOtherEntry", &r.groupOtherEntry},
              {"groupOtherCa", &r.groupOtherCa},
              {"groupOtherExt", &r.groupOtherExt},
              {"notAfter", &r.notAfter},
              {"notAfterOtherEntry", &r.notAfterOtherEntry},
              {"notAfterOtherValue", &r.notAfterOtherValue},
              {"revokedEntry", &r.revokedEntry},
              {"revokedTime", &r.revokedTime},
              {"revokedReason", &r.revokedReason},
              {"flags", &r.flags},
              {"offset", &r.offset},
              {"lineRunEntry", &r.lineRunEntry},
              {"lineRunFirst", &r.lineRunFirst},
              {"lineRunStep", &r.lineRunStep},
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

bool typed(napi_env env, napi_value v, napi_typedarray_type want, size_t* n, void** data) {
  napi_typedarray_type type;
  napi_value ab;
  size_t offset;
  return napi_get_typedarray_info(env, v, &type, n, data, &ab, &offset) == napi_ok && type == want;
}

/** The index's columns the diff reads, each checked to be of its type and to cover count entries. */
bool diff_side(napi_env env, napi_value obj, pca::DiffSide& side) {
  double count;
  if (!get_number(env, obj, "count", &count) || !(count >= 0 && count < 4294967296.0)) return false;
  side.count = static_cast<uint32_t>(count);
  struct {
    const char* key;
    napi_typedarray_type type;
    const void** ptr;
    size_t need;
    size_t len = 0;
  } cols[] = {
      {"arena", napi_uint8_array, reinterpret_cast<const void**>(&side.arena), 0},
      {"serialStart", napi_uint32_array, reinterpret_cast<const void**>(&side.serialStart), side.count + size_t{1}},
      {"flags", napi_uint8_array, reinterpret_cast<const void**>(&side.flags), side.count},
      {"table", napi_int32_array, reinterpret_cast<const void**>(&side.table), 1},
      {"fpA", napi_int32_array, reinterpret_cast<const void**>(&side.fpA), side.count},
      {"fpB", napi_int32_array, reinterpret_cast<const void**>(&side.fpB), side.count},
      {"group", napi_uint8_array, reinterpret_cast<const void**>(&side.group), side.count},
      {"notAfter", napi_uint32_array, reinterpret_cast<const void**>(&side.notAfter), side.count},
      {"revokedEntry", napi_uint32_array, reinterpret_cast<const void**>(&side.revokedEntry), 0},
      {"revokedTime", napi_float64_array, reinterpret_cast<const void**>(&side.revokedTime), 0},
      {"revokedReason", napi_uint8_array, reinterpret_cast<const void**>(&side.revokedReason), 0},
      {"notAfterOtherEntry", napi_uint32_array, reinterpret_cast<const void**>(&side.notAfterOtherEntry), 0},
      {"notAfterOtherValue", napi_float64_array, reinterpret_cast<const void**>(&side.notAfterOtherValue), 0},
      {"groupExt", napi_int32_array, reinterpret_cast<const void**>(&side.groupExt), 0},
      {"groupOtherEntry", napi_uint32_array, reinterpret_cast<const void**>(&side.groupOtherEntry), 0},
      {"groupOtherExt", napi_int32_array, reinterpret_cast<const void**>(&side.groupOtherExt), 0},
  };
  for (auto& c : cols) {
    napi_value v;
    void* p;
    if (napi_get_named_property(env, obj, c.key, &v) != napi_ok || !typed(env, v, c.type, &c.len, &p) ||
        c.len < c.need) {
      return false;
    }
    *c.ptr = p;
  }
  side.tableSize = cols[3].len;
  // the three revocation columns of one length
  if (cols[8].len != cols[9].len || cols[8].len != cols[10].len || cols[8].len > UINT32_MAX) return false;
  side.revokedCount = static_cast<uint32_t>(cols[8].len);
  if (cols[11].len != cols[12].len || cols[11].len > UINT32_MAX) return false;
  side.notAfterOthers = static_cast<uint32_t>(cols[11].len);
  if (cols[13].len > 255 || cols[14].len != cols[15].len || cols[14].len > UINT32_MAX) return false;
  side.groups = static_cast<uint32_t>(cols[13].len);
  side.groupOthers = static_cast<uint32_t>(cols[14].len);
  // a table with room (an empty slot ends every probe), and the arena holding every serial
  return side.tableSize > side.count && cols[0].len >= side.serialStart[side.count];
}

napi_value int32s(napi_env env, const std::vector<int32_t>& v) {
  napi_value ab, out;
  void* data;
  if (napi_create_arraybuffer(env, v.size() * 4, &data, &ab) != napi_ok) return nullptr;
  if (!v.empty()) std::memcpy(data, v.data(), v.size() * 4);
  if (napi_create_typedarray(env, napi_int32_array, v.size(), ab, 0, &out) != napi_ok) return nullptr;
  return out;
}

/**
 * detach(buffers): detaches each ArrayBuffer, so that the memory under it (a column's, for one
 * made here) is freed now rather than when the garbage collector gets to it. A buffer that cannot
 * be detached is left as it is.
 */
napi_value Detach(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value list;
  CHECK(napi_get_cb_info(env, info, &argc, &list, nullptr, nullptr));
  uint32_t n = 0;
  CHECK(napi_get_array_length(env, list, &n));
  for (uint32_t k = 0; k < n; k++) {
    napi_value ab;
    bool is = false;
    if (napi_get_element(env, list, k, &ab) == napi_ok && napi_is_arraybuffer(env, ab, &is) == napi_ok && is) {
      napi_detach_arraybuffer(env, ab);
    }
  }
  napi_value undefined;
  napi_get_undefined(env, &undefined);
  return undefined;
}

/** diffScan(oldIndex, newIndex, from, to, compareExtended): see pca::diff_scan and JoinScan. */
napi_value DiffScan(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  pca::DiffSide o, n;
  double from, to;
  bool compareExtended;
  if (argc < 5 || !diff_side(env, argv[0], o) || !diff_side(env, argv[1], n) ||
      napi_get_value_double(env, argv[2], &from) != napi_ok || napi_get_value_double(env, argv[3], &to) != napi_ok ||
      napi_get_value_bool(env, argv[4], &compareExtended) != napi_ok) {
    napi_throw_type_error(env, nullptr, "diffScan: expected two report indexes, a window and a boolean");
    return nullptr;
  }
  pca::DiffScan scan;
  pca::diff_scan(o, n, from, to, compareExtended, scan);
  napi_value obj;
  CHECK(napi_create_object(env, &obj));
  const std::pair<const char*, const std::vector<int32_t>*> lists[] = {
      {"issued", &scan.issued},   {"revoked", &scan.revoked}, {"expired", &scan.expired},
      {"changed", &scan.changed}, {"events", &scan.events},   {"disappeared", &scan.disappeared}};
  for (const auto& [key, list] : lists) {
    napi_value v = int32s(env, *list);
    if (v == nullptr) {
      napi_throw_error(env, "ENATIVE", "out of memory");
      return nullptr;
    }
    set(env, obj, key, v);
  }
  return obj;
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

/** A copy of v as a new typed array of the given type. */
template <class T>
napi_value typed_copy(napi_env env, const std::vector<T>& v, napi_typedarray_type type) {
  napi_value ab, out;
  void* data;
  if (napi_create_arraybuffer(env, v.size() * sizeof(T), &data, &ab) != napi_ok) return nullptr;
  if (!v.empty()) std::memcpy(data, v.data(), v.size() * sizeof(T));
  if (napi_create_typedarray(env, type, v.size(), ab, 0, &out) != napi_ok) return nullptr;
  return out;
}

/**
 * readRows(path, {csv, columns}, offsets: Float64Array): the rows at those offsets, scanned as the
 * indexer scans them: {data, spans, kinds, settled, ascii} (see pca::RowsResult). Throws ENATIVE with the
 * system's message when the file cannot be read.
 */
napi_value ReadRows(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  size_t len = 0;
  if (argc < 3 || napi_get_value_string_utf8(env, argv[0], nullptr, 0, &len) != napi_ok) {
    napi_throw_type_error(env, nullptr, "readRows: path must be a string");
    return nullptr;
  }
  std::string path(len + 1, '\0');
  napi_get_value_string_utf8(env, argv[0], path.data(), len + 1, &len);
  path.resize(len);
  pca::IndexOptions index;
  if (!read_options(env, argv[1], index)) {
    napi_throw_type_error(env, nullptr, "readRows: bad options");
    return nullptr;
  }
  pca::RowsOptions options;
  options.csv = index.csv;
  options.columns = index.columns;
  size_t n = 0;
  void* offsets = nullptr;
  if (!typed(env, argv[2], napi_float64_array, &n, &offsets)) {
    napi_throw_type_error(env, nullptr, "readRows: offsets must be a Float64Array");
    return nullptr;
  }
  pca::RowsResult r;
  pca::read_rows(path.c_str(), options, static_cast<const double*>(offsets), n, r);
  if (!r.systemError.empty()) {
    napi_throw_error(env, "ENATIVE", r.systemError.c_str());
    return nullptr;
  }
  napi_value obj;
  napi_create_object(env, &obj);
  napi_value data = typed_copy(env, r.data, napi_uint8_array);
  napi_value spans = typed_copy(env, r.spans, napi_int32_array);
  napi_value kinds = typed_copy(env, r.kinds, napi_uint8_array);
  napi_value settled = typed_copy(env, r.settled, napi_uint8_array);
  napi_value ascii = typed_copy(env, r.ascii, napi_uint8_array);
  if (data == nullptr || spans == nullptr || kinds == nullptr || settled == nullptr || ascii == nullptr) {
    napi_throw_error(env, "ENATIVE", "out of memory");
    return nullptr;
  }
  set(env, obj, "data", data);
  set(env, obj, "spans", spans);
  set(env, obj, "kinds", kinds);
  set(env, obj, "settled", settled);
  set(env, obj, "ascii", ascii);
  return obj;
}

napi_value Init(napi_env env, napi_value exports) {
#ifdef __GLIBC__
  // The index's columns are tens of MiB, allocated on pool threads and freed when JavaScript lets
  // go of them. glibc would raise its mmap threshold after the first such free and keep later
  // columns in its arenas, resident after free: a fixed threshold keeps every big block mmap'd, so
  // freeing it gives the memory back at once.
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
#endif
  napi_property_descriptor props[] = {
      {"indexFile", nullptr, IndexFile, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"indexBuffer", nullptr, IndexBuffer, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"detach", nullptr, Detach, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"diffScan", nullptr, DiffScan, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"readRows", nullptr, ReadRows, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"parseInstant", nullptr, OverBytes<instant_of>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"subjectOk", nullptr, OverBytes<subject_ok_of>, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
