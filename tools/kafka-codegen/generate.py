#!/usr/bin/env python3
"""Generates exporter/src/kafka/include/kafka/generated/*.h from Kafka's JSON message specs.

The specs are read straight out of the pinned org.apache.kafka:kafka-clients jar
(common/message/<Name>Request.json and <Name>Response.json), fetched once with Maven
into ~/.cache/kafka-sidecar-exporter/codegen. The APIs and the versions we speak are
listed in tools/kafka-codegen/apis.txt.

  generate.py          write the headers
  generate.py --check  regenerate in memory; exit 1 naming every file that differs

Python 3 standard library only. See tools/kafka-codegen/README.md.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

# The one place the Kafka version of the specs is pinned.
KAFKA_CLIENTS_VERSION = "4.4.0"

ROOT = Path(__file__).resolve().parents[2]
APIS_FILE = ROOT / "tools" / "kafka-codegen" / "apis.txt"
OUT_DIR = ROOT / "exporter" / "src" / "kafka" / "include" / "kafka" / "generated"
CACHE_DIR = Path(os.environ.get("KSE_CODEGEN_CACHE",
                                Path.home() / ".cache" / "kafka-sidecar-exporter" / "codegen"))
NO_VERSION = 32767  # "flexibleVersions": "none", and the open end of "N+"

CPP_KEYWORDS = {"default", "delete", "new", "operator", "class", "template", "private", "public",
                "protected", "namespace", "register", "int", "long", "short", "char", "bool",
                "switch", "case", "union", "struct", "this", "true", "false", "auto", "export"}
RESERVED_MEMBERS = {"read", "write", "encode", "decode"}


class GenError(Exception):
    pass


# --- Input -------------------------------------------------------------------------------

def jar_path():
    return CACHE_DIR / f"kafka-clients-{KAFKA_CLIENTS_VERSION}.jar"


def fetch_jar():
    jar = jar_path()
    if jar.exists():
        return jar
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    cmd = ["mvn", "-q", "-B", "dependency:copy",
           f"-Dartifact=org.apache.kafka:kafka-clients:{KAFKA_CLIENTS_VERSION}",
           f"-DoutputDirectory={CACHE_DIR}"]
    try:
        subprocess.run(cmd, check=True, stdout=sys.stderr)
    except (OSError, subprocess.CalledProcessError) as error:
        raise GenError(f"cannot fetch kafka-clients {KAFKA_CLIENTS_VERSION} with Maven: {error}")
    if not jar.exists():
        raise GenError(f"Maven ran but {jar} is missing")
    return jar


def load_spec(jar, name):
    with zipfile.ZipFile(jar) as zf:
        try:
            text = zf.read(f"common/message/{name}.json").decode("utf-8")
        except KeyError:
            raise GenError(f"{name}.json is not in {jar.name}")
    # The specs carry // comment lines (the license header and notes): not JSON.
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("//")]
    return json.loads("\n".join(lines))


def read_apis():
    apis = []
    for number, line in enumerate(APIS_FILE.read_text().splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) < 3:
            raise GenError(f"{APIS_FILE.name}:{number}: want 'Name min max [flags]'")
        apis.append({"name": parts[0], "min": int(parts[1]), "max": int(parts[2]),
                     "flags": set(parts[3:])})
    return apis


def parse_versions(text):
    """'3+', '1-4', '7' or 'none' as (low, high), or None for none."""
    text = str(text).strip()
    if text == "none":
        return None
    if text.endswith("+"):
        return (int(text[:-1]), NO_VERSION)
    if "-" in text:
        low, high = text.split("-")
        return (int(low), int(high))
    return (int(text), int(text))


def intersect(a, b):
    if a is None or b is None:
        return None
    low, high = max(a[0], b[0]), min(a[1], b[1])
    return (low, high) if low <= high else None


def subtract_suffix(versions, tagged):
    """The versions of a field in which it is not tagged (tagged versions are always 'N+')."""
    if tagged is None:
        return versions
    return intersect(versions, (0, tagged[0] - 1))


def condition(versions, span):
    """A C++ condition on `version` for `versions` within our `span`."""
    inside = intersect(versions, span)
    if inside is None:
        return "false"
    parts = []
    if inside[0] > span[0]:
        parts.append(f"version >= {inside[0]}")
    if inside[1] < span[1]:
        parts.append(f"version <= {inside[1]}")
    return " && ".join(parts) if parts else "true"


def snake(name):
    out = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name)
    out = re.sub(r"(?<=[A-Z])([A-Z][a-z])", r"_\1", out).lower()
    if out in CPP_KEYWORDS:
        out += "_"
    if out in RESERVED_MEMBERS:
        raise GenError(f"field {name} collides with a generated method")
    return out


def cpp_string(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# --- Model -------------------------------------------------------------------------------

PRIMITIVE = {
    "int8": ("int8_t", 1), "int16": ("int16_t", 2), "uint16": ("uint16_t", 2),
    "int32": ("int32_t", 4), "uint32": ("uint32_t", 4), "int64": ("int64_t", 8),
    "float64": ("double", 8), "bool": ("bool", 1), "uuid": ("Uuid", 16),
}
READ = {"int8": "int8()", "int16": "int16()", "uint16": "uint16()", "int32": "int32()",
        "uint32": "uint32()", "int64": "int64()", "float64": "float64()", "bool": "boolean()",
        "uuid": "uuid()"}
WRITE = {"int8": "int8", "int16": "int16", "uint16": "uint16", "int32": "int32",
         "uint32": "uint32", "int64": "int64", "float64": "float64", "bool": "boolean",
         "uuid": "uuid"}


class Message:
    """One side (request or response) of one API, restricted to the versions we speak."""

    def __init__(self, spec, span, flexible):
        self.spec = spec
        self.name = spec["name"]
        self.span = span
        self.flexible = flexible
        self.structs = {}  # cpp name -> struct dict, children first
        self.common = {s["name"]: s for s in spec.get("commonStructs", [])}
        self.root = self.make_struct(self.name, spec["fields"], prefix="", top=True)

    def struct_name(self, json_type):
        base = json_type[2:] if json_type.startswith("[]") else json_type
        if base.startswith(self.name) and len(base) > len(self.name) and base[len(self.name)].isupper():
            base = base[len(self.name):]
        if base in ("Response", "Request"):
            raise GenError(f"{self.name}: nested type {json_type} collides with an alias")
        return base

    def make_struct(self, cpp_name, json_fields, prefix, top=False):
        fields = []
        for f in json_fields:
            versions = intersect(parse_versions(f.get("versions", "0+")), self.span)
            if versions is None:
                continue  # outside the versions we speak: no member at all
            tagged = parse_versions(f["taggedVersions"]) if "taggedVersions" in f else None
            field = {
                "json": f,
                "name": f["name"],
                "member": snake(f["name"]),
                "type": f["type"],
                "versions": versions,
                "regular": subtract_suffix(versions, tagged),
                "tagged": intersect(versions, tagged),
                "tag": f.get("tag"),
                "nullable": intersect(parse_versions(f.get("nullableVersions", "none")), versions),
                "path": prefix + f["name"],
                "ignorable": bool(f.get("ignorable", False)),
                "about": f.get("about", ""),
                "broker_ids": f["type"] == "[]int32" and f.get("entityType") == "brokerId",
            }
            element = f["type"][2:] if f["type"].startswith("[]") else f["type"]
            if element not in PRIMITIVE and element not in ("string", "bytes", "records"):
                if "fields" in f:
                    child_fields, child_prefix = f["fields"], field["path"] + "."
                elif element in self.common:
                    child_fields, child_prefix = self.common[element]["fields"], element + "."
                else:
                    raise GenError(f"{self.name}: unknown type {f['type']} of {f['name']}")
                child = self.struct_name(f["type"])
                if child not in self.structs:
                    self.make_struct(child, child_fields, child_prefix)
                field["struct"] = child
            fields.append(field)
        struct = {"name": cpp_name, "fields": fields, "top": top}
        if not top:
            self.structs[cpp_name] = struct
        return struct

    # Sizes, for the array-length sanity check (a lying count never allocates).
    def is_flexible(self, version):
        return self.flexible is not None and self.flexible[0] <= version

    def min_size(self, struct, version):
        total = 1 if self.is_flexible(version) else 0  # the tag section
        for f in struct["fields"]:
            if f["regular"] is None or not (f["regular"][0] <= version <= f["regular"][1]):
                continue
            total += self.min_value_size(f, version)
        return total

    def min_value_size(self, f, version):
        flex = self.is_flexible(version)
        t = f["type"]
        if t.startswith("[]"):
            return 1 if flex else 4
        if t in PRIMITIVE:
            return PRIMITIVE[t][1]
        if t == "string":
            return 1 if flex else 2
        if t in ("bytes", "records"):
            return 1 if flex else 4
        return self.min_size(self.structs[f["struct"]], version)

    def element_min_size(self, f):
        element = f["type"][2:]
        sizes = []
        for version in range(f["versions"][0], f["versions"][1] + 1):
            flex = self.is_flexible(version)
            if element in PRIMITIVE:
                sizes.append(PRIMITIVE[element][1])
            elif element == "string":
                sizes.append(1 if flex else 2)
            elif element in ("bytes", "records"):
                sizes.append(1 if flex else 4)
            else:
                sizes.append(self.min_size(self.structs[f["struct"]], version))
        return max(min(sizes), 1)


# --- C++ ---------------------------------------------------------------------------------

def element_cpp(f):
    element = f["type"][2:] if f["type"].startswith("[]") else f["type"]
    if element in PRIMITIVE:
        return PRIMITIVE[element][0]
    if element == "string":
        return "std::string"
    if element in ("bytes", "records"):
        return "std::vector<uint8_t>"
    return f["struct"]


def member_type(f):
    t = f["type"]
    if t.startswith("[]"):
        inner = "BrokerIds" if f["broker_ids"] else f"std::vector<{element_cpp(f)}>"
        return f"std::optional<{inner}>" if f["nullable"] else inner
    if t == "string":
        return "std::optional<std::string>" if f["nullable"] else "std::string"
    if t in ("bytes", "records"):
        return "std::vector<uint8_t>"  # null reads as empty
    return element_cpp(f)


def default_value(f):
    """The C++ initializer of a member (" = x" or "{}"), and the value to compare with."""
    t = f["type"]
    raw = f["json"].get("default")
    raw = None if raw is None else str(raw)
    if t in PRIMITIVE and t not in ("uuid", "bool", "float64"):
        value = int(raw, 0) if raw not in (None, "") else 0
        bits = {"int8_t": 8, "int16_t": 16, "int32_t": 32, "int64_t": 64}.get(PRIMITIVE[t][0])
        if bits and value == -(1 << (bits - 1)):
            return f" = INT{bits}_MIN", f"INT{bits}_MIN"
        return f" = {value}", str(value)
    if t == "bool":
        value = "true" if raw == "true" else "false"
        return f" = {value}", value
    if t == "float64":
        value = float(raw) if raw else 0.0
        return f" = {value!r}", repr(value)
    if t == "uuid":
        return "{}", "Uuid{}"
    if t == "string":
        if f["nullable"] and raw == "null":
            return "", None
        if raw:
            return f" = {cpp_string(raw)}", cpp_string(raw)
        return (' = ""', '""') if f["nullable"] else ("", '""')
    if t.startswith("[]") and f["nullable"] and raw != "null":
        return "{std::in_place}", None  # an empty array, as in Kafka's generated classes
    return "", None


def comment(text, indent):
    text = " ".join(text.split())
    return f"{indent}// {text}\n" if text else ""


class Emitter:
    def __init__(self, message):
        self.m = message
        self.counter = 0

    def fresh(self, stem):
        self.counter += 1
        return f"{stem}{self.counter}"

    def flexible_cond(self):
        return condition(self.m.flexible, self.m.span) if self.m.flexible else "false"

    # Decoding ---------------------------------------------------------------------------
    def read_value(self, f, target, r, ind, nullable_cond):
        t = f["type"]
        field = f'{r}.field({cpp_string(f["path"])})'
        if t in PRIMITIVE:
            return f"{ind}{target} = {field}.{READ[t]};\n"
        if t == "string":
            if not f["nullable"]:
                return f"{ind}{target} = {field}.string(flexible);\n"
            if nullable_cond == "true":
                return f"{ind}{target} = {field}.nullable_string(flexible);\n"
            return (f"{ind}if ({nullable_cond}) {{\n{ind}  {target} = {field}.nullable_string(flexible);\n"
                    f"{ind}}} else {{\n{ind}  {target} = {field}.string(flexible);\n{ind}}}\n")
        if t in ("bytes", "records"):
            return f"{ind}{target} = {field}.raw_bytes(flexible);\n"
        if t.startswith("[]"):
            if f["broker_ids"] and not f["nullable"]:
                return f"{ind}read_broker_ids({field}, flexible, {target});\n"
            n = self.fresh("n")
            out = f"{ind}{{\n{ind}  const int32_t {n} = {field}.array_length(flexible, {self.m.element_min_size(f)});\n"
            vec = target
            if f["nullable"]:
                vec = self.fresh("v")
                out += (f"{ind}  if ({n} < 0) {{\n{ind}    {target}.reset();\n{ind}  }} else {{\n"
                        f"{ind}    auto& {vec} = {target}.emplace();\n")
                inner = ind + "    "
            else:
                inner = ind + "  "
            element = f["type"][2:]
            i = self.fresh("i")
            out += f"{inner}if ({n} > 0) {{\n"
            out += f"{inner}  {vec}.reserve(initial_capacity<{element_cpp(f)}>({r}, {n}));\n"
            out += f"{inner}  for (int32_t {i} = 0; {i} < {n}; ++{i}) "
            if element in PRIMITIVE:
                out += f"{vec}.push_back({r}.{READ[element]});\n"
            elif element == "string":
                out += f"{vec}.push_back({r}.string(flexible));\n"
            elif element in ("bytes", "records"):
                out += f"{vec}.push_back({r}.raw_bytes(flexible));\n"
            else:
                out += f"{vec}.emplace_back().read({r}, version);\n"
            out += f"{inner}}}\n"
            if f["nullable"]:
                out += f"{ind}  }}\n"
            out += f"{ind}}}\n"
            return out
        return f"{ind}{target}.read({r}, version);\n"

    def read_body(self, struct, obj, ind):
        out = ""
        span = self.m.span
        for f in struct["fields"]:
            if f["regular"] is None:
                continue
            cond = condition(f["regular"], span)
            ncond = condition(f["nullable"], f["regular"]) if f["nullable"] else "false"
            if cond == "true":
                out += self.read_value(f, obj + f["member"], "r", ind, ncond)
            else:
                out += f"{ind}if ({cond}) {{\n" + self.read_value(f, obj + f["member"], "r", ind + "  ", ncond) + f"{ind}}}\n"
        out += self.read_tags(struct, obj, ind)
        return out

    def tagged_fields(self, struct):
        tagged = [f for f in struct["fields"] if f["tagged"] is not None]
        return sorted(tagged, key=lambda f: f["tag"])

    def read_tags(self, struct, obj, ind):
        fcond = self.flexible_cond()
        if fcond == "false":
            return ""
        tagged = self.tagged_fields(struct)
        if not tagged:
            body = f"{ind}r.skip_tags();\n"
        else:
            body = (f"{ind}{{\n"
                    f"{ind}  const uint32_t count = r.field(\"_tagged_fields\").uvarint();\n"
                    f"{ind}  if (count > r.remaining()) r.fail(\"tag count \" + std::to_string(count) + \" exceeds the frame\");\n"
                    f"{ind}  for (uint32_t t = 0; t < count; ++t) {{\n"
                    f"{ind}    const uint32_t tag = r.field(\"_tagged_fields\").uvarint();\n"
                    f"{ind}    const uint32_t size = r.uvarint();\n"
                    f"{ind}    if (size > r.remaining()) r.fail(\"tagged field size \" + std::to_string(size) + \" exceeds the frame\");\n"
                    f"{ind}    const size_t end = r.remaining() - size;\n"
                    f"{ind}    switch (tag) {{\n")
            for f in tagged:
                cond = condition(f["tagged"], self.m.span)
                ncond = condition(f["nullable"], f["tagged"]) if f["nullable"] else "false"
                body += f"{ind}      case {f['tag']}:\n"
                body += f"{ind}        if ({cond}) {{\n"
                body += self.read_value(f, obj + f["member"], "r", ind + "          ", ncond)
                body += f"{ind}          if (r.remaining() != end) r.fail(\"tagged field {f['tag']} does not fill its \" + std::to_string(size) + \" bytes\");\n"
                body += f"{ind}          continue;\n{ind}        }}\n{ind}        break;\n"
            body += (f"{ind}      default:\n{ind}        break;\n{ind}    }}\n"
                     f"{ind}    r.skip(size);  // a tag we do not know\n{ind}  }}\n{ind}}}\n")
        if fcond == "true":
            return body
        return f"{ind}if (flexible) {{\n" + "\n".join(
            ("  " + line) if line else line for line in body.rstrip("\n").split("\n")) + f"\n{ind}}}\n"

    # Encoding ---------------------------------------------------------------------------
    def write_value(self, f, source, w, ind, nullable_cond):
        t = f["type"]
        if t in PRIMITIVE:
            return f"{ind}{w}.{WRITE[t]}({source});\n"
        if t == "string":
            if not f["nullable"]:
                return f"{ind}{w}.string({source}, flexible);\n"
            if nullable_cond == "true":
                return f"{ind}{w}.nullable_string({source}, flexible);\n"
            return (f"{ind}if ({nullable_cond}) {{\n{ind}  {w}.nullable_string({source}, flexible);\n"
                    f"{ind}}} else {{\n{ind}  {w}.string({source} ? std::string_view(*{source}) : std::string_view(), flexible);\n{ind}}}\n")
        if t in ("bytes", "records"):
            return f"{ind}{w}.raw_bytes({source}, flexible);\n"
        if t.startswith("[]"):
            element = t[2:]
            out = ""
            vec = source
            inner = ind
            if f["nullable"]:
                out += f"{ind}if (!{source}) {{\n{ind}  {w}.null_array(flexible);\n{ind}}} else {{\n"
                vec = f"(*{source})"
                inner = ind + "  "
            e = self.fresh("e")
            out += f"{inner}{w}.array_length({vec}.size(), flexible);\n"
            out += f"{inner}for (const auto& {e} : {vec}) "
            if element in PRIMITIVE:
                out += f"{w}.{WRITE[element]}({e});\n"
            elif element == "string":
                out += f"{w}.string({e}, flexible);\n"
            elif element in ("bytes", "records"):
                out += f"{w}.raw_bytes({e}, flexible);\n"
            else:
                out += f"{e}.write({w}, version);\n"
            if f["nullable"]:
                out += f"{ind}}}\n"
            return out
        return f"{ind}{source}.write({w}, version);\n"

    def write_body(self, struct, obj, ind):
        out = ""
        span = self.m.span
        for f in struct["fields"]:
            if f["regular"] is None:
                continue
            cond = condition(f["regular"], span)
            ncond = condition(f["nullable"], f["regular"]) if f["nullable"] else "false"
            if cond == "true":
                out += self.write_value(f, obj + f["member"], "w", ind, ncond)
            else:
                out += f"{ind}if ({cond}) {{\n" + self.write_value(f, obj + f["member"], "w", ind + "  ", ncond) + f"{ind}}}\n"
        out += self.write_tags(struct, obj, ind)
        return out

    def differs_from_default(self, f, source):
        t = f["type"]
        if t.startswith("[]"):
            if f["nullable"]:
                if str(f["json"].get("default")) == "null":
                    return f"{source}.has_value()"
                return f"(!{source} || !{source}->empty())"
            return f"!{source}.empty()"
        if t in ("bytes", "records"):
            return f"!{source}.empty()"
        if t == "string":
            _, value = default_value(f)
            if f["nullable"] and value is None:
                return f"{source}.has_value()"
            if f["nullable"]:
                return f"{source} != std::optional<std::string>({value})"
            return f"{source} != {value}"
        if t in PRIMITIVE:
            _, value = default_value(f)
            return f"{source} != {value}"
        raise GenError(f"{self.m.name}: tagged struct field {f['name']} cannot be encoded yet")

    def write_tags(self, struct, obj, ind):
        fcond = self.flexible_cond()
        if fcond == "false":
            return ""
        tagged = self.tagged_fields(struct)
        if not tagged:
            body = f"{ind}w.tags();\n"
        else:
            body = f"{ind}{{\n{ind}  uint32_t count = 0;\n"
            for f in tagged:
                cond = condition(f["tagged"], self.m.span)
                body += f"{ind}  const bool has_{f['tag']} = ({cond}) && {self.differs_from_default(f, obj + f['member'])};\n"
                body += f"{ind}  if (has_{f['tag']}) ++count;\n"
            body += f"{ind}  w.uvarint(count);\n"
            for f in tagged:
                ncond = condition(f["nullable"], f["tagged"]) if f["nullable"] else "false"
                body += f"{ind}  if (has_{f['tag']}) {{\n{ind}    Writer value;\n"
                body += self.write_value(f, obj + f["member"], "value", ind + "    ", ncond)
                body += (f"{ind}    w.uvarint({f['tag']});\n"
                         f"{ind}    w.uvarint(static_cast<uint32_t>(value.bytes().size()));\n"
                         f"{ind}    w.bytes().insert(w.bytes().end(), value.bytes().begin(), value.bytes().end());\n"
                         f"{ind}  }}\n")
            body += f"{ind}}}\n"
        if fcond == "true":
            return body
        return f"{ind}if (flexible) {{\n" + "\n".join(
            ("  " + line) if line else line for line in body.rstrip("\n").split("\n")) + f"\n{ind}}}\n"

    # Structs ----------------------------------------------------------------------------
    def members(self, struct, ind):
        out = ""
        for f in struct["fields"]:
            init, _ = default_value(f)
            note = f["about"]
            gates = []
            if f["versions"] != self.m.span:
                gates.append("versions " + version_text(f["versions"]))
            if f["tagged"] is not None:
                gates.append(f"tag {f['tag']}")
            if f["ignorable"]:
                gates.append("ignorable")
            if gates:
                note += " [" + ", ".join(gates) + "]"
            out += comment(note, ind)
            out += f"{ind}{member_type(f)} {f['member']}{init};\n"
        return out

    def functions(self, struct, ind):
        fc = self.flexible_cond()
        flex_decl = "constexpr bool flexible" if fc in ("true", "false") else "const bool flexible"
        out = f"{ind}void write([[maybe_unused]] Writer& w, [[maybe_unused]] int16_t version) const {{\n"
        out += f"{ind}  [[maybe_unused]] {flex_decl} = {fc};\n"
        out += self.write_body(struct, "", ind + "  ")
        out += f"{ind}}}\n"
        out += f"{ind}void read([[maybe_unused]] Reader& r, [[maybe_unused]] int16_t version) {{\n"
        out += f"{ind}  [[maybe_unused]] {flex_decl} = {fc};\n"
        out += self.read_body(struct, "", ind + "  ")
        out += f"{ind}}}\n"
        return out

    def nested(self, ind):
        out = ""
        for struct in self.m.structs.values():
            out += f"{ind}struct {struct['name']} {{\n"
            out += self.members(struct, ind + "  ")
            out += "\n" + self.functions(struct, ind + "  ")
            out += f"{ind}}};\n\n"
        return out


def version_text(v):
    if v[1] == NO_VERSION:
        return f"{v[0]}+"
    return f"{v[0]}" if v[0] == v[1] else f"{v[0]}-{v[1]}"


def emit_message(message, header_lines, tail_lines):
    e = Emitter(message)
    ind = "  "
    out = f"struct {message.name} {{\n"
    out += "".join(ind + line + "\n" for line in header_lines)
    if header_lines:
        out += "\n"
    out += e.nested(ind)
    out += e.members(message.root, ind)
    out += "\n"
    out += e.functions(message.root, ind)
    out += "".join((ind + line if line else "") + "\n" for line in tail_lines)
    out += "};\n"
    return out


def generate_api(jar, api):
    name = api["name"]
    request_spec = load_spec(jar, name + "Request")
    response_spec = load_spec(jar, name + "Response")
    valid = parse_versions(request_spec["validVersions"])
    if parse_versions(response_spec["validVersions"]) != valid:
        raise GenError(f"{name}: request and response validVersions differ")
    span = (api["min"], api["max"])
    if intersect(span, valid) != span:
        raise GenError(f"{name}: apis.txt range {version_text(span)} is not inside validVersions "
                       f"{version_text(valid)}")
    flexible = parse_versions(request_spec.get("flexibleVersions", "none"))
    api_key = request_spec["apiKey"]
    if response_spec["apiKey"] != api_key:
        raise GenError(f"{name}: request and response apiKey differ")
    request = Message(request_spec, span, flexible)
    response = Message(response_spec, span, parse_versions(response_spec.get("flexibleVersions", "none")))

    first_flexible = flexible[0] if flexible else NO_VERSION
    request_head = [
        f"static constexpr int16_t kApiKey = {api_key};",
        f"static constexpr int16_t kMinVersion = {span[0]};",
        f"static constexpr int16_t kMaxVersion = {span[1]};",
        f"static constexpr int16_t kFirstFlexibleVersion = {first_flexible};"
        + ("  // never flexible" if not flexible else ""),
        f"static constexpr const char* kName = {cpp_string(name)};",
        f"// validVersions in the {KAFKA_CLIENTS_VERSION} spec; we speak kMinVersion..kMaxVersion.",
        f"static constexpr int16_t kSpecMinVersion = {valid[0]};",
        f"static constexpr int16_t kSpecMaxVersion = {valid[1]};",
    ]
    if "forwarded" in api["flags"]:
        request_head.append("// Brokers only forward it to the active KRaft controller (KafkaClient::send_any).")
        request_head.append("static constexpr bool kForwardedToController = true;")
    request_head.append(f"using Response = {name}Response;")
    response_head = [f"using Request = {name}Request;"]

    def tail(cls):
        return [
            "",
            f"void encode(Writer& w, int16_t version) const {{ write(w, version); }}",
            f"static {cls} decode(Reader& r, int16_t version) {{",
            f"  {cls} out;",
            "  out.read(r, version);",
            "  return out;",
            "}",
        ]

    body = (f"// {name} (key {api_key}): versions {version_text(span)} of the spec's "
            f"{version_text(valid)}, flexible from {version_text(flexible) if flexible else 'none'}.\n"
            f"struct {name}Request;\n\n"
            + emit_message(response, response_head, tail(name + "Response")) + "\n"
            + emit_message(request, request_head, tail(name + "Request")))
    return header(f"{name}Request.json and {name}Response.json",
                  ["<cstdint>", "<optional>", "<string>", "<string_view>", "<vector>"],
                  ['"kafka/message.h"'], body)


def header(source, system, local, body):
    text = (f"// Generated by tools/kafka-codegen/generate.py from {source}\n"
            f"// of org.apache.kafka:kafka-clients:{KAFKA_CLIENTS_VERSION}. Do not edit: regenerate.\n"
            "#pragma once\n\n")
    text += "".join(f"#include {s}\n" for s in system) + "\n"
    text += "".join(f"#include {s}\n" for s in local) + "\n"
    text += "// NOLINTBEGIN\nnamespace kse::kafka {\n\n" + body + "\n}  // namespace kse::kafka\n// NOLINTEND\n"
    return text


def file_name(api_name):
    return snake(api_name) + ".h"


def generate_all(jar):
    apis = read_apis()
    files = {}
    for api in apis:
        files[file_name(api["name"])] = generate_api(jar, api)
    includes = [f'"kafka/generated/{file_name(api["name"])}"' for api in apis]
    listing = ("// Every API the exporter speaks, in the order of tools/kafka-codegen/apis.txt. The\n"
               "// protocol fuzzer drives the response decoder of each, and the golden tests check\n"
               "// that each has golden vectors.\n"
               "using AllRequests = std::tuple<" + ",\n                               ".join(
                   f"{api['name']}Request" for api in apis) + ">;\n")
    files["all_apis.h"] = header("tools/kafka-codegen/apis.txt", ["<tuple>"], includes, listing)
    return files


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true",
                        help="compare with the committed headers instead of writing them")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help=argparse.SUPPRESS)
    args = parser.parse_args()
    try:
        files = generate_all(fetch_jar())
    except GenError as error:
        print(f"generate.py: {error}", file=sys.stderr)
        return 2
    if args.check:
        differs = []
        for name, text in sorted(files.items()):
            path = args.out / name
            if not path.exists() or path.read_text() != text:
                differs.append(name)
        extra = sorted(p.name for p in args.out.glob("*.h") if p.name not in files) if args.out.exists() else []
        for name in differs:
            print(f"generate.py --check: {args.out / name} differs from what the specs generate", file=sys.stderr)
        for name in extra:
            print(f"generate.py --check: {args.out / name} is not generated by any API in apis.txt", file=sys.stderr)
        if differs or extra:
            print("regenerate with tools/kafka-codegen/generate.py", file=sys.stderr)
            return 1
        print(f"generate.py --check: {len(files)} headers match kafka-clients {KAFKA_CLIENTS_VERSION}")
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        path = args.out / name
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
