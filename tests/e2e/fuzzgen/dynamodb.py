"""DynamoDB's own parsers: condition / update / projection / key-condition / filter
expressions, attribute values (nesting, numbers, binary, sets) and PartiQL statements."""

from __future__ import annotations

import json
import random
from typing import Iterator

from . import mutate as m
from .engine import Case, Ctx

TOKENS = ["a", "n", "l", "m", "pk", "sk", "#n", "#m", ":v", ":w", ":z", "=", "<>", "<", "<=", ">", ">=",
          "BETWEEN", "AND", "OR", "NOT", "IN", "(", ")", ",", ".", "[", "]", "0", "1", "99999999999",
          "attribute_exists", "attribute_not_exists", "attribute_type", "begins_with", "contains", "size",
          "if_not_exists", "list_append", "SET", "REMOVE", "ADD", "DELETE", "+", "-", "#", ":", "", " ",
          "\t", "\u00e9", "\U0001F600", "\x00", "\"", "'", "$", "@", "/* */", "a" * 300]

VALID = {
    "condition": ["attribute_exists(pk)", "n > :v AND (begins_with(#n, :w) OR NOT size(l) = :v)",
                  "n BETWEEN :v AND :w", "n IN (:v, :w, :z)", "attribute_type(m, :w) AND contains(l, :w)"],
    "update": ["SET n = n + :v, l = list_append(l, :l) REMOVE m.k", "SET #n = if_not_exists(#n, :v)",
               "ADD s :s DELETE s :s", "SET m.k2 = :w, l[0] = :w"],
    "projection": ["pk, sk, m.k, l[0]", "#n, #m.k", "l[0].a[1].b"],
    "key": ["pk = :w", "pk = :w AND sk BETWEEN :v AND :v", "pk = :w AND sk > :v", "#p = :w AND begins_with(sk, :v)"],
}
NAMES = {"#n": "n", "#m": "m", "#p": "pk"}
VALUES = {":v": {"N": "1"}, ":w": {"S": "a"}, ":z": {"N": "3"}, ":l": {"L": [{"S": "x"}]}, ":s": {"SS": ["x"]}}


def _expr_mutation(rng: random.Random, base: str) -> tuple[str, str]:
    k = rng.randrange(11)
    d = m.pick_depth(rng)
    if k == 0:
        return "(" * d + base + ")" * d, f"{d} nested parentheses"
    if k == 1:
        return "NOT " * d + "n = :v", f"{d} NOT terms"
    if k == 2:
        return " AND ".join(["n = :v"] * d), f"{d} AND terms"
    if k == 3:
        return " OR ".join(["n = :v"] * min(d, 5000)), f"{min(d, 5000)} OR terms"
    if k == 4:
        return "size(" * d + "n" + ")" * d + " = :v", f"{d} nested size()"
    if k == 5:
        return "attribute_exists(" + ".".join(["a"] * d) + ")", f"path of {d} dots"
    if k == 6:
        return "attribute_exists(l" + "[0]" * d + ")", f"path of {d} indexes"
    if k == 7:
        return "n IN (" + ",".join([":v"] * min(d, 2000)) + ")", f"IN with {min(d, 2000)} values"
    if k == 8:
        toks = [rng.choice(TOKENS) for _ in range(rng.randint(1, 30))]
        return " ".join(toks), "token soup"
    if k == 9:
        i = rng.randrange(len(base) + 1)
        t = rng.choice(TOKENS)
        return base[:i] + t + base[i:], f"token {t[:10]!r} inserted"
    cut = rng.randrange(len(base) + 1)
    return base[:cut], f"cut at {cut}"


class Raw:
    """JSON text spliced in as is (json.dumps would recurse on deep values)."""

    def __init__(self, text: bytes):
        self.text = text


def dumps(doc) -> bytes:
    raws: list[bytes] = []

    def default(o):
        if isinstance(o, Raw):
            raws.append(o.text)
            return f"@@RAW{len(raws) - 1}@@"
        raise TypeError(type(o))
    out = json.dumps(doc, default=default).encode()
    for i, r in enumerate(raws):
        out = out.replace(f'"@@RAW{i}@@"'.encode(), r, 1)
    return out


def deep_value(d: int, kind: str) -> Raw:
    if kind == "M":
        return Raw(b'{"M":{"a":' * d + b'{"S":"x"}' + b"}}" * d)
    return Raw(b'{"L":[' * d + b'{"S":"x"}' + b"]}" * d)


# Numbers AWS refuses: over 38 significant digits, outside 1e-130..9.99e125, not a number.
BAD_NUMBERS = ["1e126", "1e-131", "9" * 39, "9" * 40, "abc", "", "0x1", "NaN", "1e999999999", ".",
               "1.2.3", "1" * 100000]


def _value_mutation(rng: random.Random):
    """(value, description); ``must_fail`` (below) names the ones AWS always refuses."""
    k = rng.randrange(8)
    if k == 0:
        d = rng.choice([31, 32, 33, 100, 1000, 10000])
        kind = rng.choice(["M", "L"])
        return deep_value(d, kind), f"{kind} nested {d}"
    if k == 1:
        n = rng.choice(BAD_NUMBERS + ["-0", "+1", " 1", "1 "])
        return {"N": n}, f"N {n[:20]!r}"
    if k == 2:
        b = rng.choice(["!!!", "a", "====", "", "aGVsbG8", "\u00e9", "A" * 500000])
        return {"B": b}, f"B {b[:12]!r}"
    if k == 3:
        s = rng.choice([{"SS": ["a", "a"]}, {"SS": []}, {"NS": ["1", "x"]}, {"NS": ["1", "1.0"]},
                        {"BS": ["!!"]}, {"SS": ["a"] * 100000}])
        return s, f"set {json.dumps(s)[:30]}"
    if k == 4:
        v = rng.choice([{}, {"X": "1"}, {"S": "a", "N": "1"}, {"NULL": False}, {"BOOL": "true"}, {"S": 1},
                        {"M": []}, {"L": {}}, {"S": None}, {"M": {"": {"S": "x"}}}, []])
        return v, f"shape {json.dumps(v)[:30]}"
    if k == 5:
        return _big(f"S{rng.choice([400 * 1024, 2 * 1024 * 1024])}"), "huge S"
    # Large values cost seconds each in a debug build: mostly moderate sizes, rarely the big ones.
    if k == 6:
        n = rng.choice([1000, 1000, 5000, 20000])
        return _big(f"M{n}"), f"M with {n} members"
    n = rng.choice([1000, 1000, 10000, 100000])
    return _big(f"L{n}"), f"L of {n}"


_BIG: dict = {}


def _big(key: str) -> Raw:
    """Large attribute values, serialized once (building them per input cost more than sending)."""
    if key not in _BIG:
        kind, n = key[0], int(key[1:])
        if kind == "S":
            v = {"S": "x" * n}
        elif kind == "M":
            v = {"M": {f"k{i}": {"N": str(i)} for i in range(n)}}
        else:
            v = {"L": [{"N": str(i)} for i in range(n)]}
        _BIG[key] = Raw(json.dumps(v).encode())
    return _BIG[key]


def refused(desc: str) -> bool:
    """Inputs AWS refuses whatever the rest of the request: nesting far past 32 levels, items
    over 400 KB, malformed numbers."""
    import re
    mm = re.match(r"[ML] nested (\d+)", desc)
    if mm and int(mm.group(1)) >= 100:
        return True
    if desc == "huge S":
        return True
    return desc.startswith("N ") and desc not in ("N '-0'", "N '+1'", "N ' 1'", "N '1 '")


def _request(ctx: Ctx, kind: str, expr: str, values: dict) -> tuple[str, dict]:
    t = ctx.TABLE
    base = {"TableName": t}
    if kind == "condition":
        op = "PutItem"
        base.update(Item={"pk": {"S": "e"}, "sk": {"N": "1"}}, ConditionExpression=expr)
    elif kind == "update":
        op = "UpdateItem"
        base.update(Key={"pk": {"S": "a"}, "sk": {"N": "1"}}, UpdateExpression=expr)
    elif kind == "projection":
        op = "GetItem"
        base.update(Key={"pk": {"S": "a"}, "sk": {"N": "1"}}, ProjectionExpression=expr)
    else:
        op = "Query"
        base.update(KeyConditionExpression=expr, FilterExpression="attribute_exists(n)")
    if ":" in expr:
        base["ExpressionAttributeValues"] = {k: v for k, v in values.items() if k in expr} or dict(values)
    if "#" in expr:
        base["ExpressionAttributeNames"] = {k: v for k, v in NAMES.items() if k in expr} or dict(NAMES)
    return op, base


def _case(ctx: Ctx, op: str, doc, name: str, desc: str, raw_body: bytes = None, must_fail: bool = False) -> Case:
    body = raw_body if raw_body is not None else dumps(doc)
    raw = ctx.json10("DynamoDB_20120810", op, body, "dynamodb")
    return Case(raw, "json", name, f"DynamoDB {op}: {desc}", must_fail=must_fail)


def gen_expressions(rng: random.Random, ctx: Ctx) -> Iterator[Case]:
    # The reproducers first.
    for expr, desc in [("(" * 6150 + "n = :v" + ")" * 6150, "6,150 nested parentheses"),
                       ("NOT " * 31000 + "n = :v", "31,000 NOT terms"),
                       (" AND ".join(["n = :v"] * 31000), "31,000 AND terms")]:
        op, doc = _request(ctx, "condition", expr, VALUES)
        yield _case(ctx, op, doc, "expr:repro", desc, must_fail=True)
    op, doc = _request(ctx, "condition", "n = :v", {":v": deep_value(50000, "M")})
    yield _case(ctx, op, doc, "value:repro", "attribute value M nested 50,000")
    while True:
        r = rng.random()
        kind = rng.choice(list(VALID))
        base = rng.choice(VALID[kind])
        if r < 0.55:
            expr, desc = _expr_mutation(rng, base)
            op, doc = _request(ctx, kind, expr, VALUES)
            # AWS refuses expressions over 4 KB before parsing them.
            yield _case(ctx, op, doc, f"expr:{kind}:{m.klass(desc, 30)}", f"{kind} expression, {desc}: {expr[:80]!r}",
                        must_fail=len(expr.encode()) > 4096)
        elif r < 0.85:
            v, desc = _value_mutation(rng)
            if rng.random() < 0.5:
                op, doc = _request(ctx, kind, base, dict(VALUES, **{":v": v, ":w": v}))
                where = "expression value"
            else:
                op = "PutItem"
                doc = {"TableName": ctx.TABLE, "Item": {"pk": {"S": "v"}, "sk": {"N": "1"}, "x": v}}
                where = "item attribute"
            sent = where == "item attribute" or ":" in base
            must = sent and refused(desc) and (desc != "huge S" or where == "item attribute")
            yield _case(ctx, op, doc, f"value:{m.klass(desc, 30)}", f"{where} {desc}", must_fail=must)
        else:
            op, doc = _request(ctx, kind, base, VALUES)
            raw = dumps(doc)
            body, desc = m.generic(rng, raw) if rng.random() < 0.5 else m.insert_after(rng, raw, b'"')
            yield _case(ctx, op, None, f"expr-bytes:{m.klass(desc, 30)}", desc, raw_body=body)


STATEMENTS = [
    "SELECT * FROM \"fuzz\" WHERE pk = 'a'",
    "SELECT pk, m.k, l[0] FROM \"fuzz\" WHERE pk = ? AND sk > 0",
    "INSERT INTO \"fuzz\" VALUE {'pk': 'p', 'sk': 1, 'm': {'a': [1, 2, 'x']}}",
    "UPDATE \"fuzz\" SET n = n + 1 SET l[0] = 'y' WHERE pk = 'a' AND sk = 1",
    "UPDATE \"fuzz\" REMOVE m.k WHERE pk = 'a' AND sk = 1",
    "DELETE FROM \"fuzz\" WHERE pk = 'zz' AND sk = 1",
    "SELECT * FROM \"fuzz\" WHERE pk IN ['a', 'b'] AND begins_with(\"x\", 'y') OR size(l) > 1",
]
PQL_TOKENS = ["SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "BETWEEN", "IS", "MISSING", "NULL", "*",
              "?", "'", "\"", "''", "(", ")", "[", "]", "{", "}", "<<", ">>", ",", ".", "=", "<>", "!=", "||",
              "VALUE", "SET", "REMOVE", "INSERT", "INTO", "UPDATE", "DELETE", "EXISTS", "-", "--", "/*",
              "1e999", "0x", "\u00e9", "\x00", "\\", ";", "`", "a" * 500]


def _pql_mutation(rng: random.Random, stmt: str) -> tuple[str, str]:
    k = rng.randrange(9)
    d = m.pick_depth(rng)
    if k == 0:
        return f"SELECT * FROM \"fuzz\" WHERE " + "(" * d + "pk = 'a'" + ")" * d, f"{d} nested parentheses"
    if k == 1:
        return "INSERT INTO \"fuzz\" VALUE {'pk': 'd', 'sk': 1, 'x': " + "{'a': " * d + "1" + "}" * d + "}", \
            f"tuple nested {d}"
    if k == 2:
        return "INSERT INTO \"fuzz\" VALUE {'pk': 'd', 'sk': 1, 'x': " + "[" * d + "]" * d + "}", f"list nested {d}"
    if k == 3:
        return "SELECT * FROM \"fuzz\" WHERE " + " AND ".join(["pk = 'a'"] * d), f"{d} AND terms"
    if k == 4:
        return "SELECT * FROM \"fuzz\" WHERE " + "NOT " * d + "pk = 'a'", f"{d} NOT terms"
    if k == 5:
        toks = [rng.choice(PQL_TOKENS) for _ in range(rng.randint(1, 25))]
        return " ".join(toks), "token soup"
    if k == 6:
        i = rng.randrange(len(stmt) + 1)
        t = rng.choice(PQL_TOKENS)
        return stmt[:i] + t + stmt[i:], f"token {t[:8]!r} inserted"
    if k == 7:
        return stmt.replace("'a'", "'" + "x" * rng.choice([10000, 300000]) + "'"), "long string literal"
    cut = rng.randrange(len(stmt) + 1)
    return stmt[:cut], f"cut at {cut}"


def gen_partiql(rng: random.Random, ctx: Ctx) -> Iterator[Case]:
    while True:
        r = rng.random()
        stmt = rng.choice(STATEMENTS)
        text, desc = _pql_mutation(rng, stmt) if r < 0.8 else (stmt, "valid")
        params = None
        if "?" in text or rng.random() < 0.2:
            pv, pdesc = _value_mutation(rng) if rng.random() < 0.6 else ({"S": "a"}, "S")
            params = [pv] * rng.choice([1, 1, 2, 0])
            desc += f", parameters {pdesc}"
        which = rng.random()
        if which < 0.7:
            op, doc = "ExecuteStatement", {"Statement": text}
            if params is not None:
                doc["Parameters"] = params
        elif which < 0.85:
            # Many copies only of short statements: 26 long ones would just be a 413 every time.
            n = rng.choice([1, 2, 26]) if len(text) < 20000 else 1
            op, doc = "BatchExecuteStatement", {"Statements": [{"Statement": text}] * n}
        else:
            n = rng.choice([1, 101]) if len(text) < 20000 else 1
            op, doc = "ExecuteTransaction", {"TransactStatements": [{"Statement": text}] * n}
        body = dumps(doc)
        name = f"partiql:{m.klass(desc, 30)}"
        if rng.random() < 0.1:
            body, bdesc = m.insert_after(rng, body, b"'")
            desc += f"; {bdesc}"
            name = "partiql:bad-bytes"
        yield _case(ctx, op, None, name, f"{desc}: {text[:80]!r}", raw_body=body)
