{
  "targets": [
    {
      "target_name": "xmlsec_native",
      "sources": ["src/xmlsec_native.c"],
      "cflags": ["<!@(pkg-config --cflags xmlsec1-openssl)", "-Wall", "-Wextra", "-O2"],
      "libraries": ["<!@(pkg-config --libs xmlsec1-openssl)"]
    }
  ]
}
