{
  "targets": [
    {
      "target_name": "pca_audit_native",
      "sources": ["native/addon.cc", "native/indexer.cc", "native/subject.cc"],
      "cflags_cc": ["-O3", "-std=c++17", "-ffp-contract=off", "-fno-exceptions", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "cflags_cc!": ["-fno-rtti", "-std=gnu++17", "-O2"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
