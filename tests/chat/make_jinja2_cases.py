#!/usr/bin/env python3
"""Regenerates jinja2_cases.json: the expected renders of ~475 templates by Python jinja2,
configured the way transformers renders chat templates (ImmutableSandboxedEnvironment,
trim_blocks, lstrip_blocks, loopcontrols, its tojson and raise_exception).
  * "feature" cases: hand-written, one or more features each (expressions, filters, tests,
    methods, loops, namespaces, macros, errors) and real-world chat templates;
  * "whitespace" cases: random templates mixing text, whitespace, CRLF and tags with
    -/+ whitespace control (seeded, so the file is reproducible).
Run: python3 tests/chat/make_jinja2_cases.py  (needs python3-jinja2; made with jinja2 3.1.6)
"""
import json
import os
import random
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.ext import loopcontrols

HERE = os.path.dirname(os.path.abspath(__file__))
M = [{"role": "system", "content": "  Sys prompt. "}, {"role": "user", "content": "Hi ΣΑΣ straße"},
     {"role": "assistant", "content": "Hello!\n"}, {"role": "user", "content": "tool?"}]
TOOLS = [{"type": "function", "function": {"name": "get_weather", "description": "Weather <now> & \"later\"",
          "parameters": {"type": "object", "properties": {"city": {"type": "string"}, "n": {"type": "integer", "default": 3.5}}, "required": ["city"]}}}]
base = {"messages": M, "bos_token": "<s>", "eos_token": "</s>", "add_generation_prompt": True}
T = []
def add(t, **ctx):
    c = dict(base); c.update(ctx); T.append({"template": t, "context": c})
# whitespace control
add("a  \n  {% if true %}\n  x\n  {% endif %}\n  b\n")
add("a  \n  {%- if true -%}\n  x\n  {%- endif %}  \n  b")
add("  {%+ if true %}x{% endif +%}\n y")
add("{# c #}\n  {# d -#}   \n z {#- e #}")
add("{{ 1 }}\n{{ 2 }}\n  {{- 3 -}}  \n 4")
add("line\r\nnext\r{% if 1 %}\r\nA{% endif %}\n")
add("{% raw %}{{ x }}{% endraw %}|{%- raw -%}  {% if %}  {%- endraw %}|")
add("x\n")
add("x\n\n")
add("   {% for m in messages %}\n   {{ m.role }}\n   {% endfor %}\n")
add("\t{% if true %}\t\n\tT\n{% endif %}")
add("{% if true %}  \nA{% endif %}")
# expressions
add("{{ 1 + 2 * 3 - 4 / 2 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % -3 }} {{ 2 ** 10 }} {{ 2 ** -1 }} {{ 1.5 * 2 }} {{ 10 / 4 }}")
add("{{ 'a' ~ 1 ~ none ~ true ~ 1.0 ~ undefined_thing }}|{{ 'ab' * 3 }}|{{ [1] * 2 }}|{{ [1, 'a', none, true, 1.5, [2], {'k': 'v'}] }}")
add("{{ (1, 2) }} {{ (1,) }} {{ () }} {{ {'a': 1, 'b': [1, 2]} }} {{ 1e20 }} {{ 1e16 }} {{ 1e15 }} {{ 0.0001 }} {{ 0.00001 }} {{ 1/3 }} {{ -0.0 }}")
add("{{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }} {{ 'a' in 'cat' }} {{ 'z' not in 'cat' }} {{ 1 in [1,2] }} {{ 'k' in {'k': 1} }} {{ 1 == 1.0 }} {{ true == 1 }} {{ none == none }}")
add("{{ 'x' if false }}|{{ 'x' if false else 'y' }}|{{ none or 'd' }}|{{ 0 and 1 }}|{{ not none }}|{{ not 'a' }}")
add("{{ 'abc'[0] }}{{ 'abc'[-1] }}{{ 'abcdef'[1:3] }}{{ 'abcdef'[::-1] }}{{ 'abcdef'[::2] }}{{ [1,2,3,4][1:] }}{{ [1,2,3][-2:] }}{{ 'héllo'[1] }}{{ 'abc'[5] }}|{{ [1,2][9] }}")
add("{{ messages[0]['content'] }}|{{ messages[0].content }}|{{ messages[-1].role }}|{{ messages | length }}|{{ messages[0].missing }}|{{ messages[0]['missing'] is defined }}")
add("{{ \"it's\" }} {{ 'say \"hi\"' }} {{ 'tab\\there' }} {{ 'nl\\n' }} {{ '\\u00e9\\x41\\101' }} {{ 'a' 'b' }} {{ 'back\\\\slash' }} {{ '\\d' }}")
add("{{ ['it\\'s', 'q\"', 'both\\'\"', 'nl\\n', 'é', '\\x07'] }}")
add("{{ 0x1F }} {{ 0b101 }} {{ 0o17 }} {{ 1_000 }} {{ 1.5e3 }} {{ 2E-3 }} {{ 007 if false else 0 }}")
# filters
add("{{ '  Hi  ' | trim }}|{{ 'xxhixx' | trim('x') }}|{{ 'hello WORLD' | capitalize }}|{{ 'hello world-foo(bar)' | title }}|{{ 'ß' | upper }}|{{ 'ΣΑΣ' | lower }}|{{ 'İ' | lower | length }}")
add("{{ none | trim }}|{{ undefined_x | trim }}|{{ 5 | string }}|{{ [1] | string }}|{{ none | default('d') }}|{{ undefined_y | default('d') }}|{{ '' | default('e', true) }}|{{ x | d('z') }}")
add("{{ messages | tojson }}")
add("{{ tools | tojson(indent=2) }}")
add("{{ {'b': 1, 'a': [1.0, none, true, 'é\\n\\u2028']} | tojson }}|{{ {'b': 1, 'a': 2} | tojson(sort_keys=true) }}|{{ 'é' | tojson(ensure_ascii=true) }}|{{ [] | tojson(indent=2) }}|{{ {} | tojson }}")
add("{{ '42' | int }} {{ '4.7' | int }} {{ 'x' | int }} {{ 'x' | int(7) }} {{ 3.9 | int }} {{ ' 12 ' | int }} {{ '0x1A' | int(0, 16) }} {{ '3.25' | float }} {{ 'q' | float }}")
add("{{ [1,2,3] | join(', ') }}|{{ messages | map(attribute='role') | join('/') }}|{{ [3,1,2] | sort | list }}|{{ ['b','A','c'] | sort }}|{{ ['b','A','c'] | sort(case_sensitive=true) }}|{{ [1,2,3] | reverse | list }}|{{ 'abc' | reverse }}")
add("{{ [1,2,3] | first }} {{ [1,2,3] | last }} {{ 'abc' | first }} {{ [] | first }} {{ {'a':1,'b':2} | items | list }} {{ {'a':1} | list }} {{ 'ab' | list }}")
add("{{ 'a-b-a' | replace('a', 'X') }} {{ 'aaa' | replace('a', 'b', 2) }} {{ 'ab' | replace('', '-') }} {{ [1,2,2,3] | unique | list }} {{ [3,1,2] | max }} {{ [3,1,2] | min }} {{ [1,2,3] | sum }} {{ -3 | abs }} {{ 2.5 | round }} {{ 3.14159 | round(2) }}")
add("{{ messages | selectattr('role', 'equalto', 'user') | map(attribute='content') | list }}|{{ messages | rejectattr('role', 'eq', 'user') | list | length }}|{{ [0,1,2,3] | select('odd') | list }}|{{ [0,1,none,2] | select | list }}|{{ [1,2,3] | reject('even') | list }}")
add("{{ {'b': 2, 'a': 1} | dictsort }}|{{ 'line1\\nline2\\n\\nline4' | indent(2) }}|{{ 'a\\nb' | indent(2, true) }}|{{ 'a\\n\\nb' | indent(width='>', blank=true) }}|{{ '<a href=\"x\">&' | e }}|{{ 'x' | safe }}|{{ [1,2] | count }}")
add("{{ ['a','b'] | map('upper') | join }}|{{ messages | map(attribute='nope', default='-') | join }}|{{ 'Hello World' | lower }}|{{ 'hello' | upper }}")
# tests
add("{{ x is defined }} {{ x is undefined }} {{ none is none }} {{ 1 is number }} {{ 1 is integer }} {{ 1.0 is float }} {{ true is boolean }} {{ 'a' is string }} {{ {} is mapping }} {{ [] is iterable }} {{ 'a' is sequence }} {{ 3 is odd }} {{ 4 is even }} {{ 9 is divisibleby 3 }} {{ 9 is divisibleby(4) }} {{ 'abc' is lower }} {{ 'ABC' is upper }} {{ 1 is eq 1 }} {{ 2 is gt 1 }} {{ 1 is in [1] }} {{ 1 is not string }} {{ true is true }} {{ false is false }} {{ range is callable }}")
# methods
add("{{ '  a b  '.strip() }}|{{ 'xxaxx'.lstrip('x') }}|{{ 'xxaxx'.rstrip('x') }}|{{ 'a,b,,c'.split(',') }}|{{ ' a  b '.split() }}|{{ 'a b c'.split(' ', 1) }}|{{ 'a b c'.rsplit(' ', 1) }}|{{ 'abc'.startswith('ab') }}|{{ 'abc'.endswith(('x', 'c')) }}|{{ 'they\\'re bill\\'s'.title() }}|{{ 'aXb'.upper() }}{{ 'AxB'.lower() }}|{{ 'abcabc'.replace('b', '-') }}|{{ 'abc'.find('c') }}|{{ ', '.join(['a','b']) }}|{{ 'ab\\ncd'.splitlines() }}|{{ 'hello world'.capitalize() }}|{{ 'a1'.isalnum() }}")
# Unicode: full case mappings, final sigma, Python's title() after modifier letters (Cased
# and Case_Ignorable at once), and the str predicates / is lower / is upper beyond ASCII
add("{{ 'ʰa'.title() }}|{{ 'xʰab ǆemal ﬁre'.title() }}|{{ 'straße'.upper() }}|{{ 'ǆx'.capitalize() }}|{{ 'ΌΣΟΣ ΣΑΣ. ʰΣ'.lower() }}|{{ 'ǆx ʰa' | title }}")
add("{{ 'é١²Ⅻ'.isalnum() }}|{{ 'éǅ'.isalpha() }}|{{ '٣'.isdigit() }}|{{ '²'.isdigit() }}|{{ '½'.isdigit() }}|{{ '½'.isalnum() }}|{{ 'Ⅻ'.isalpha() }}|{{ '\u3000\x85\x1f'.isspace() }}|{{ 'a\u00a0'.isspace() }}|{{ '\u200b'.isspace() }}")
add("{{ 'ª' is lower }}|{{ 'ǅ' is upper }}|{{ 'ǅ' is lower }}|{{ 'ÀB1' is upper }}|{{ 'ßʰ' is lower }}|{{ '٣' is lower }}|{{ 'Ⅻ' is upper }}|{{ 'ⓐ' is lower }}")
add("{{ {'a': 1}.get('a') }} {{ {'a': 1}.get('b') }} {{ {'a': 1}.get('b', 2) }} {{ {'a': 1, 'b': 2}.items() | list }} {{ {'a': 1}.keys() | list }} {{ {'a': 1}.values() | list }}")
add("{% for k, v in {'a': 1, 'b': 2}.items() %}{{ k }}={{ v }};{% endfor %}")
# control flow
add("{% for m in messages %}{{ loop.index }}/{{ loop.index0 }}/{{ loop.revindex }}/{{ loop.revindex0 }}/{{ loop.first }}/{{ loop.last }}/{{ loop.length }}/{{ loop.previtem.role if loop.previtem is defined else '-' }}/{{ loop.nextitem is defined }}/{{ loop.cycle('a','b') }} {% endfor %}")
add("{% for m in messages if m.role != 'system' %}{{ loop.index }}:{{ m.role }} {% else %}none{% endfor %}|{% for x in [] %}x{% else %}empty{% endfor %}")
add("{% for i in range(10) %}{% if i == 2 %}{% continue %}{% endif %}{% if i == 5 %}{% break %}{% endif %}{{ i }}{% endfor %}|{% for i in range(2, 10, 3) %}{{ i }}{% endfor %}|{% for i in range(5, 0, -2) %}{{ i }}{% endfor %}")
add("{% set x = 1 %}{% for i in range(3) %}{% set x = x + i %}{{ x }}{% endfor %}|{{ x }}|{% set ns = namespace(total=0, found=false) %}{% for i in range(4) %}{% set ns.total = ns.total + i %}{% if i == 2 %}{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.total }} {{ ns.found }}")
add("{% if false %}a{% elif none %}b{% elif 1 %}c{% else %}d{% endif %}|{% if not messages %}empty{% endif %}")
add("{% set a, b = 1, 2 %}{{ a }}{{ b }}|{% set t = 1, 2 %}{{ t }}|{% set block %}  inner {{ 1 }}  {% endset %}[{{ block }}]|{% set up | upper %}abc{% endset %}{{ up }}")
add("{% macro greet(name, punct='!') %}Hello {{ name }}{{ punct }}{% endmacro %}{{ greet('a') }} {{ greet('b', '?') }} {{ greet(name='c', punct='.') }} {{ greet() }}")
add("{% macro rec(n) %}{% if n > 0 %}{{ n }}{{ rec(n - 1) }}{% endif %}{% endmacro %}{{ rec(5) }}")
add("{% filter upper %}abc {{ 'def' }}{% endfilter %}|{% with a = 1, b = 2 %}{{ a + b }}{% endwith %}{{ a }}")
add("{% for a, b in [[1, 2], [3, 4]] %}{{ a * b }}{% endfor %}|{% for x in 'héj' %}[{{ x }}]{% endfor %}|{% for k in {'x': 1, 'y': 2} %}{{ k }}{% endfor %}")
add("{% for i in range(3) %}{% for j in range(2) %}{{ loop.index }}{{ i }}{% endfor %}{% endfor %}")
add("{{ raise_exception('boom') }}")
add("{% if messages[0].role != 'system' %}{{ raise_exception('need system') }}{% endif %}ok")
add("{{ undefined_z.attr }}")
add("{{ 1 + 'a' }}")
add("{{ 'a' < 1 }}")
add("{{ 1 / 0 }}")
add("{% for x in none %}{% endfor %}")
add("{{ messages.append(1) }}")
add("{{ range(100001) | length }}")
add("{{ range(100000) | length }}")
add("{{ foo() }}")
add("{% set x = 5 %}{{ x.y }}|{{ none.y }}|{{ (1).real is defined }}")
add("{{ 'a' %s }}")
# Real-world chat templates (paraphrased from public tokenizer_config.json files)
chatml = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
add(chatml); add(chatml, add_generation_prompt=False)
zephyr = "{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'system' %}\n{{ '<|system|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n{% endif %}\n{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}"
add(zephyr)
mistral = "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}"
add(mistral); add(mistral, messages=[{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}, {"role": "user", "content": "c"}])
gemma = "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}{{ '<start_of_turn>' + role + '\n' + message['content'] | trim + '<end_of_turn>\n' }}{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\n'}}{% endif %}"
add(gemma, messages=M[1:])
llama31 = open(os.path.join(HERE, 'templates', 'llama-3.1-instruct.jinja')).read()
for tm in ([M, None], [M[1:], TOOLS], [M, TOOLS]):
    add(llama31, messages=tm[0], tools=tm[1], date_string="26 Jul 2024")
qwen = open(os.path.join(HERE, 'templates', 'qwen-2.5-style.jinja')).read()
add(qwen, messages=M, tools=TOOLS); add(qwen, messages=M[1:]); add(qwen, messages=M[1:] + [{"role": "assistant", "content": "", "tool_calls": [{"function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]}, {"role": "tool", "content": "sunny"}])
phi3 = "{% for message in messages %}{% if message['role'] == 'system' %}{{'<|system|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'user' %}{{'<|user|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'assistant' %}{{'<|assistant|>\n' + message['content'] + '<|end|>\n'}}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% else %}{{ eos_token }}{% endif %}"
add(phi3)


# ---- random whitespace-control templates ----
WS = [" ", "  ", "\n", " \n", "\n ", "\t", "\n\n", "", "", "", "\r\n", " \t\n  ", "\u00a0", "\u3000"]
TXT = ["a", "b", "x y", "é", "{", "}", "#", "%", "-", "+", "{ {", "} }"]
EXPR = ["1", "'s'", "m.role", "m['content']", "loop.index", "x", "ns.v", "none", "true", "[1, 2]", "'a' ~ 'b'",
        "m.content | trim", "x + 1", "m.role | capitalize", "messages | length", "loop.first", "'q' if loop.last else 'r'",
        "m.content[:3]", "(x * 2) // 3", "x is defined", "'%' in m.content", "m.role ~ '-}}'", "'{%'"]
COND = ["true", "false", "loop.first", "m.role == 'user'", "x > 1", "not x", "m.content", "ns.v", "loop.index is odd"]
def ws(): return random.choice(WS)
def lm(): return random.choice(["", "", "-", "+"])
def rm(): return random.choice(["", "", "-", "+"])
def vlm(): return random.choice(["", "", "-"])
def text(): return "".join(random.choice(TXT + WS) for _ in range(random.randint(0, 4)))
def block(depth, in_loop):
    parts = []
    for _ in range(random.randint(1, 4)):
        r = random.random()
        if r < 0.25: parts.append(text())
        elif r < 0.45: parts.append(ws() + "{{" + vlm() + ws().replace("\n"," ") + " " + random.choice(EXPR) + " " + vlm() + "}}" + ws())
        elif r < 0.55: parts.append(ws() + "{#" + lm() + " c " + rm() + "#}" + ws())
        elif r < 0.7 and depth < 3:
            parts.append(ws() + "{%" + lm() + " if " + random.choice(COND) + " " + rm() + "%}" + ws() + block(depth+1, in_loop) + ws()
                         + (("{%" + lm() + " else " + rm() + "%}" + block(depth+1, in_loop)) if random.random() < 0.4 else "")
                         + "{%" + lm() + " endif " + rm() + "%}" + ws())
        elif r < 0.82 and depth < 3:
            parts.append(ws() + "{%" + lm() + " for m in messages " + rm() + "%}" + ws() + block(depth+1, True) + ws() + "{%" + lm() + " endfor " + rm() + "%}" + ws())
        elif r < 0.9:
            parts.append(ws() + "{%" + lm() + " set x = " + random.choice(["1", "2", "x + 1 if x is defined else 0", "m.role if m is defined else 3"]) + " " + rm() + "%}" + ws())
        elif r < 0.95:
            parts.append(ws() + "{%" + lm() + " set ns.v = " + random.choice(["1", "0", "not ns.v"]) + " " + rm() + "%}" + ws())
        else:
            parts.append(ws() + "{%" + lm() + " raw " + rm() + "%}" + text() + "{{ x }}" + ws() + "{%" + lm() + " endraw " + rm() + "%}" + ws())
    return "".join(parts)
M = [{"role": "user", "content": " hi % "}, {"role": "assistant", "content": "yo\n"}]


def random_templates(seed, n):
    random.seed(seed)
    return [{"template": "{% set ns = namespace(v=0) %}" + ws() + block(0, False) + random.choice(["", "\n", "\n\n", " "]),
             "context": {"messages": M}} for _ in range(n)]


def raise_exception(m):
    raise Exception(m)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
env.filters["tojson"] = tojson
env.globals["raise_exception"] = raise_exception


def render(c):
    ctx = dict(c["context"])
    ctx.setdefault("messages", [])
    ctx.setdefault("add_generation_prompt", False)
    try:
        return {"expected": env.from_string(c["template"]).render(**ctx)}
    except Exception as e:
        return {"error": type(e).__name__ + ": " + str(e)}


out = []
for c in T:
    out.append(dict({"kind": "feature", "template": c["template"], "context": c["context"]}, **render(c)))
kept = 0
for c in random_templates(2, 4000):
    r = render(c)
    if "expected" in r and kept < 400:
        out.append(dict({"kind": "whitespace", "template": c["template"], "context": c["context"]}, **r))
        kept += 1
json.dump(out, open(os.path.join(HERE, "jinja2_cases.json"), "w"), ensure_ascii=False, indent=0)
print(len(out), "cases")
