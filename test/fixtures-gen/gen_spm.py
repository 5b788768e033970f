#!/usr/bin/python3
"""Reference token ids for the SentencePiece tokenizer test (test/encode/sentencepiece.test.ts).

Run by hand when the fixtures change: `/usr/bin/python3 test/fixtures-gen/gen_spm.py`
(Debian's python3-sentencepiece; nothing else). It

1. generates a training corpus (seeded) in every script the paper uses — English and German
   Latin, Chinese, Korean, Greek, Arabic, Devanagari/Hindi — plus keyboard-typo English and
   the edge cases of issue 14 (trailing whitespace, `;\\n`, NBSP, `#fff;`, literal `<s>`, ...);
2. TRAINS a small unigram model with XLM-R's settings (model_type=unigram,
   normalization_rule_name=nmt_nfkc, unk/bos/eos = 0/1/2);
3. writes the model as the two tokenizer.json layouts Hugging Face published for XLM-R
   (vocab = <s> <pad> </s> <unk> + pieces[3:] + <mask>, the fairseq +1 offset; the
   normalizer_spec.precompiled_charsmap bytes in base64):
     tokenizer-whitespace-split.json  Precompiled + Sequence[WhitespaceSplit, Metaspace]
     tokenizer-replace.json           Sequence[Precompiled, Replace(" {2,}", " ")] + Metaspace
4. writes normalizer-digests.json: SentencePiece's normalisation of every code point of planes
   0-3 (and U+E0000..U+E0FFF) in context, one digest per block of 4096;
   and expected.json: for each test text, the ids of the slow XLMRobertaTokenizer:
   `<s>` + SentencePiece's encode (+1, unk 0 -> 3) + `</s>`. The slow tokenizer first splits
   the text on its added tokens (`<s>` `<pad>` `</s>` `<unk>` `<mask>`; transformers'
   PreTrainedTokenizer.tokenize), emits their ids, strips whitespace left of `<mask>` (its
   AddedToken has lstrip=True) and runs SentencePiece on each remaining piece; that split is
   reproduced here, the rest is the library;
5. if ../shared/fixtures/official/responses/*.jsonl exist, official-ids.json: for every
   distinct prompt/text there, sha256(text)[:16] -> "count:sha256(ids)[:16]" (the texts are
   not committed).
"""
import base64
import glob
import hashlib
import io
import json
import os
import random
import struct
import sys
import unicodedata

import sentencepiece as spm

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "fixtures", "spm")
OFFICIAL = os.path.join(HERE, "..", "..", "..", "shared", "fixtures", "official", "responses")

VOCAB_SIZE = 6000

WORDS = {
    "en": "the a an image shows two three people man woman child dog cat sits stands on in at near next to "
    "table street car bus red blue green black white yellow large small holding umbrella while walking "
    "along busy city tall buildings background there is also bicycle parked beside wooden bench under tree "
    "sky appears cloudy suggesting it might rain soon overall scene captures everyday life what color of "
    "this picture please answer in English describe detail kitchen coffee office traffic off offer effect "
    "different suffix staff stuff cliff giraffe waffle affair toffee muffin puffy fluffy experience audience "
    "science ancient patience conscience efficient sufficient community conversation shared",
    "de": "der die das und ist nicht ein eine mit auf für von zu den im Straße größer schön Mädchen Bäume "
    "über Fußball Brücke weiß grün Häuser Frühstück Hund Katze Tisch sitzt steht neben Bild zeigt zwei "
    "Menschen Regenschirm welche Farbe hat Auto Fahrrad Himmel wolkig Küche Büro schwarz gelb groß klein "
    "Bürgersteig Gebäude Hintergrund Szene Alltag Schaufenster Straßenbahn",
    "el": "το η ο και είναι στην εικόνα δύο άνθρωποι σκύλος γάτα τραπέζι δρόμος χρώμα μαύρο λευκό κόκκινο "
    "μπλε πράσινο ποιο τι δείχνει αυτή φωτογραφία έχει αυτοκίνητο ποδήλατο ουρανός κουζίνα γραφείο "
    "μεγάλο μικρό κτίρια φόντο σκηνή καθημερινή ζωή περιγράψτε λεπτομέρεια ομπρέλα",
    "ko": "이 사진 에서 무엇 을 보여 주나요 두 사람 이 있습니다 개 고양이 테이블 위에 빨간색 파란색 거리 "
    "자동차 하늘 부엌 사무실 검은색 흰색 큰 작은 건물 배경 장면 일상 생활 자세히 설명 우산 자전거 색깔 "
    "무슨 그림 남자 여자 아이",
    "ar": "الصورة في على من هذه ما هو لون الكلب القطة الطاولة شخصان يجلس يقف الشارع سيارة أحمر أزرق أخضر "
    "أسود أبيض كبير صغير المبنى الخلفية المشهد الحياة اليومية صف بالتفصيل مظلة دراجة السماء المطبخ "
    "المكتب رجل امرأة طفل",
    "hi": "यह तस्वीर में क्या है दो लोग कुत्ता बिल्ली मेज़ पर लाल नीला हरा सड़क गाड़ी रंग दिखाता काला सफ़ेद "
    "बड़ा छोटा इमारत पृष्ठभूमि दृश्य रोज़मर्रा जीवन विस्तार से बताइए छाता साइकिल आसमान रसोई दफ़्तर आदमी "
    "औरत बच्चा",
    "zh": "图片 中 的 是 有 两 个 人 在 桌子 上 狗 猫 红色 蓝色 这 张 照片 显示 什么 颜色 街道 汽车 一 "
    "天空 厨房 办公室 黑色 白色 大 小 建筑 背景 场景 日常 生活 详细 描述 雨伞 自行车 男人 女人 孩子 "
    "哪 里 和 旁边 下面 看起来 可能 下雨",
}
PUNCT = {"en": ".", "de": ".", "el": ".", "ko": ".", "ar": ".", "hi": "।", "zh": "。"}
QUESTION = {"en": "?", "de": "?", "el": ";", "ko": "?", "ar": "؟", "hi": "?", "zh": "？"}
KEYBOARD = {c: n for c, n in zip("qwertyuiopasdfghjklzxcvbnm", "wqrtyuiopoasdfghjklkzxcvbnmn")}
SPECIAL = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]


def zipf_pick(rng, items):
    i = int(len(items) * (rng.random() ** 2.5))
    return items[min(i, len(items) - 1)]


def random_word(rng, lang):
    """A random syllable word in the language's script (enlarges the character inventory)."""
    if lang == "ko":
        return "".join(chr(0xAC00 + 28 * int(399 * rng.random() ** 2)) for _ in range(rng.randint(1, 3)))
    if lang == "zh":
        return "".join(chr(0x4E00 + int(6000 * rng.random() ** 3)) for _ in range(rng.randint(1, 3)))
    if lang == "hi":
        cons = [chr(c) for c in range(0x0915, 0x0939)]
        mat = ["", "\u093e", "\u093f", "\u0940", "\u0941", "\u0947", "\u094b", "\u0902", "\u094d"]
        return "".join(rng.choice(cons) + rng.choice(mat) for _ in range(rng.randint(1, 3)))
    if lang == "ar":
        letters = [chr(c) for c in range(0x0627, 0x064B)]
        return "".join(rng.choice(letters) for _ in range(rng.randint(2, 6)))
    if lang == "el":
        letters = "αβγδεζηθικλμνξοπρστυφχψωάέήίόύώ"
        return "".join(rng.choice(letters) for _ in range(rng.randint(2, 7)))
    letters = "abcdefghijklmnopqrstuvwxyzäöüß" if lang == "de" else "abcdefghijklmnopqrstuvwxyz"
    return "".join(rng.choice(letters) for _ in range(rng.randint(2, 8)))


def typo(rng, s, rate):
    """KeyboardAug-like: neighbouring-key substitutions and case flips."""
    out = []
    for c in s:
        r = rng.random()
        if c.lower() in KEYBOARD and r < rate:
            out.append(KEYBOARD[c.lower()])
        elif c.isalpha() and r < rate * 1.5:
            out.append(c.swapcase())
        else:
            out.append(c)
    return "".join(out)


def sentence(rng, lang):
    words = WORDS[lang].split()
    n = rng.randint(3, 18)
    toks = [zipf_pick(rng, words) if rng.random() < 0.85 else random_word(rng, lang) for _ in range(n)]
    if rng.random() < 0.15:
        toks.insert(rng.randrange(len(toks) + 1), str(rng.randint(0, 10 ** rng.randint(1, 6))))
    sep = "" if lang == "zh" and rng.random() < 0.8 else " "
    end = QUESTION[lang] if rng.random() < 0.3 else PUNCT[lang]
    s = sep.join(toks) + end
    if lang == "en" and rng.random() < 0.3:
        s = typo(rng, s, rng.choice([0.03, 0.1]))
    if rng.random() < 0.1 and lang != "en":
        s += " Please answer in English."
    if rng.random() < 0.05:
        s = s[0].upper() + s[1:]
    return s


EXTRA_TRAIN = [
    "color: #fff; background: #ffffff; border: 1px solid #f0f0f0;",
    "The text is #fff; the link is #00f; the code block uses #eee;",
    "ffff fff ff f affff coffee toffee off offff",
    "Hmm... well!!! really??? --- === *** ### ```code``` ~~~",
    "http://example.com/a/b?c=d&e=f www.example.org user@example.com",
    "3.14159 2,718 1,000,000 10% 25°C 100km/h 9:30 2024-05-17",
    "😀 😂 👍 👍🏽 ❤️ 🎉 🐶 🐱 🚗 🌧️",
    "ＡＢＣ ｱｲｳ ①②③ ﬁ ﬂ ² ³ ½ Ⅻ ㎏ ㈱ ™",
]


def corpus(rng, n):
    langs = list(WORDS)
    lines = []
    for _ in range(n):
        lang = rng.choice(langs)
        s = sentence(rng, lang)
        if rng.random() < 0.1:
            s = s + " " + sentence(rng, rng.choice(langs))
        lines.append(s)
    return lines


def nfkc_differs():
    """Code points whose nmt_nfkc mapping differs from Python's NFKC (Unicode 14): the places an
    NFKC approximation of the precompiled charsmap goes wrong."""
    sp = spm.SentencePieceProcessor(model_proto=MODEL)
    out = []
    for cp in list(range(0x80, 0x3400)) + list(range(0xA000, 0x10000)) + list(range(0x10000, 0x1FC00)):
        if 0xD800 <= cp < 0xE000:
            continue
        c = chr(cp)
        got = "".join(sp.encode("a" + c + "b", out_type=str))
        want = "▁" + unicodedata.normalize("NFKC", "a" + c + "b").replace(" ", "▁")
        if got != want and unicodedata.category(c) != "Cn":
            out.append(c)
    return out


def combining_cases(rng):
    out = []
    bases = "aeiouAEIOUnNcCsSzZyY"
    for i in range(60):
        b = rng.choice(bases)
        marks = "".join(chr(rng.randrange(0x300, 0x370)) for _ in range(rng.randint(1, 3)))
        out.append(f"x {b}{marks} {b}{marks}{b}")
    # Hangul conjoining jamo (NFKC composes L V T), compatibility jamo, Devanagari nukta forms.
    for _ in range(20):
        l_, v, t = chr(0x1100 + rng.randrange(19)), chr(0x1161 + rng.randrange(21)), chr(0x11A8 + rng.randrange(27))
        out.append(f"{l_}{v} {l_}{v}{t} 가{t}")
    out += ["\u0915\u093c \u0958 \u0921\u093c\u0922\u093c \u095c\u095d", "ㄱㄴㄷ ㅏㅑ ㅋㅋㅋㅋ", "e\u0301 é é\u0301 A\u030a Å Å"]
    out += ["\u03b1\u0301 \u03ac \u1f71 \u03b9\u0308\u0301 \u0390 ; \u037e ;\n", "\ufefb \u0644\u0627 \ufdfa \u0626\u0654"]
    return out


def edge_cases():
    return [
        "", " ", "   ", "\n", "\t\n ", "\u00a0", "\u3000",
        "hello", "hello ", "hello   ", "   hello", "  hello  world  ", "hello\tworld\n", "a\r\nb\r\n",
        "Τι χρώμα έχει το αυτοκίνητο;\n", "Τι δείχνει η εικόνα;", "Τι δείχνει η εικόνα;\n\n", "What is it?\n",
        "a\u00a0b", "a\u00a0\u00a0b", "a \u00a0 b", "\u00a0lead", "trail\u00a0", "a\u202fb", "a\u2009b", "a\u3000b", "a\u2028b",
        "a\u200bb", "\ufeffbom", "soft\u00adhyphen", "nul\u0000char", "ctl\u0001\u0007\u007f\u0085x", "vt\u000bff\u000cx",
        "<s>", "</s>", "<unk>", "<pad>", "<mask>", "a <s> b", "a<s>b", "a </s>", "x<unk>y", "<pad> z", "a <mask> b",
        "a<mask>", "a \u00a0<mask>", "<s><s>", "</s> </s>", "< s >", "<S>", "<s", "s>", "<<s>>", "<mask >",
        "#fff;", "The color is #fff;", "color: #fff;\n", "#ffffff", "#fffff", "ffffff", "fff", "ff f", "coffee;",
        "aaaa", "ababab", "!!!", "???", "...", "---", "===", "哈哈哈哈", "ㅋㅋㅋㅋㅋ", "ㅎㅎ",
        "ＡＢＣ ｆｆｆ", "ﬁne ﬂow", "①②③", "x² y³", "Ⅻ ⅻ", "㎏ ㎞", "ｶﾀｶﾅ ﾊﾟ", "™ ℃ № ℡",
        "👍🏽 👨\u200d👩\u200d👧 🇩🇪 ❤️", "🥱 🫠 🪿 🫎", "\U0001fbf5\U0001fbf0", "ꟲꟳꟴ", "\U0001d400\U0001d41a",
        "𠀀𠀁 𪜀", "\U000e0041\U000e007f", "\ue000 private", "\U0010ffff", "\ufffd", "\ufffe\uffff",
        "a ¨b ¨ a´ x ˜ y \u1fbd \u1fc1 ˘ ¸ ̈", "\u2001a\u2003\u205fb\u3000", "a\u0308\u0301 \u0308a",
        "Straße GROSS groß", "İstanbul ıi", "ǅ ǈ ǋ", "ﷺ", "ﻻ", "ٱلسلام", "क़ ख़ ग़", "क्‍ष",
        "Das Bild zeigt zwei Häuser neben der Straße.   ", "이 사진에서 무엇을 보여 주나요?\n", "这张照片显示什么？ ",
        "ما هو لون السيارة؟", "यह तस्वीर में क्या है?", "coffee off offer toffee " * 30,
    ]


NORM_BLOCK = 0x1000


def normalizer_digests(sp):
    """For each block of 4096 code points (surrogates left out) of planes 0-3 and the first block
    of plane 14 (tags, variation selectors; planes 4-13 are unassigned, 15-16 private use):
    sha256 of the normalised forms of "a" + chr(cp) + "b", one a line — SentencePiece's pieces
    joined are its normalised text."""
    out = {}
    for start in list(range(0, 0x40000, NORM_BLOCK)) + [0xE0000]:
        lines = []
        for cp in range(start, start + NORM_BLOCK):
            if 0xD800 <= cp < 0xE000:
                continue
            lines.append("".join(sp.encode("a" + chr(cp) + "b", out_type=str)))
        out[f"{start:x}"] = hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()[:16]
    return out


def added_token_split(text):
    """transformers' slow PreTrainedTokenizer.tokenize: split on added tokens (leftmost match);
    `<mask>` (lstrip=True) strips whitespace on its left."""
    parts, i, last = [], 0, 0
    while i < len(text):
        hit = next((t for t in SPECIAL if text.startswith(t, i)), None)
        if hit:
            parts.append(text[last:i])
            parts.append(hit)
            i += len(hit)
            last = i
        else:
            i += 1
    parts.append(text[last:])
    for k, p in enumerate(parts):
        if p == "<mask>" and k > 0 and parts[k - 1] not in SPECIAL:
            parts[k - 1] = parts[k - 1].rstrip()
    return [p for p in parts if p]


def slow_ids(sp, text):
    ids = [0]
    for part in added_token_split(text):
        if part in SPECIAL:
            ids.append(SPECIAL_IDS[part])
        else:
            ids += [3 if i == 0 else i + 1 for i in sp.encode(part)]
    return ids + [2]


def read_varint(b, i):
    v = s = 0
    while True:
        x = b[i]
        i += 1
        v |= (x & 0x7F) << s
        s += 7
        if x < 0x80:
            return v, i


def proto_fields(b):
    """(field number, wire type, value) of one protobuf message (varint, fixed32, bytes)."""
    i = 0
    while i < len(b):
        key, i = read_varint(b, i)
        f, w = key >> 3, key & 7
        if w == 0:
            v, i = read_varint(b, i)
        elif w == 5:
            v, i = b[i:i + 4], i + 4
        elif w == 1:
            v, i = b[i:i + 8], i + 8
        elif w == 2:
            n, i = read_varint(b, i)
            v, i = b[i:i + n], i + n
        else:
            raise ValueError(f"wire type {w}")
        yield f, w, v


def tokenizer_json(sp, charsmap, layout):
    vocab = [["<s>", 0.0], ["<pad>", 0.0], ["</s>", 0.0], ["<unk>", 0.0]]
    for i in range(3, sp.get_piece_size()):
        vocab.append([sp.id_to_piece(i), struct.unpack("<f", struct.pack("<f", sp.get_score(i)))[0]])
    vocab.append(["<mask>", 0.0])
    n = len(vocab)

    def added(i, c):
        return {"id": i, "content": c, "single_word": False, "lstrip": c == "<mask>", "rstrip": False, "normalized": False, "special": True}

    precompiled = {"type": "Precompiled", "precompiled_charsmap": base64.b64encode(charsmap).decode()}
    if layout == "whitespace-split":
        normalizer = precompiled
        pre = {"type": "Sequence", "pretokenizers": [{"type": "WhitespaceSplit"}, {"type": "Metaspace", "replacement": "▁", "add_prefix_space": True}]}
        decoder = {"type": "Metaspace", "replacement": "▁", "add_prefix_space": True}
    else:
        normalizer = {"type": "Sequence", "normalizers": [precompiled, {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}]}
        pre = {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": True}
        decoder = {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": True}
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [added(0, "<s>"), added(1, "<pad>"), added(2, "</s>"), added(3, "<unk>"), added(n - 1, "<mask>")],
        "normalizer": normalizer,
        "pre_tokenizer": pre,
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}},
                     {"SpecialToken": {"id": "</s>", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}, {"SpecialToken": {"id": "</s>", "type_id": 1}}],
            "special_tokens": {"<s>": {"id": "<s>", "ids": [0], "tokens": ["<s>"]}, "</s>": {"id": "</s>", "ids": [2], "tokens": ["</s>"]}},
        },
        "decoder": decoder,
        "model": {"type": "Unigram", "unk_id": 3, "vocab": vocab, "byte_fallback": False},
    }


def digest(s):
    return hashlib.sha256(s.encode("utf-8")).hexdigest()[:16]


def main():
    global MODEL, SPECIAL_IDS
    rng = random.Random(20250514)
    train = corpus(rng, 40000) + EXTRA_TRAIN * 20 + edge_cases() * 3
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(train), model_writer=model, model_type="unigram", vocab_size=VOCAB_SIZE,
        normalization_rule_name="nmt_nfkc", character_coverage=0.9995, num_threads=2, minloglevel=2,
        unk_id=0, bos_id=1, eos_id=2, pad_id=-1, hard_vocab_limit=False,
    )
    MODEL = model.getvalue()
    sp = spm.SentencePieceProcessor(model_proto=MODEL)
    SPECIAL_IDS = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3, "<mask>": sp.get_piece_size() + 1}
    assert [sp.id_to_piece(i) for i in range(3)] == ["<unk>", "<s>", "</s>"]
    assert all(sp.is_control(i) or sp.is_unknown(i) for i in range(3))
    assert not any(sp.is_control(i) or sp.is_unknown(i) or sp.is_unused(i) for i in range(3, sp.get_piece_size()))
    spec = next(v for f, w, v in proto_fields(MODEL) if f == 3)
    charsmap = next(v for f, w, v in proto_fields(spec) if f == 2)

    os.makedirs(OUT, exist_ok=True)
    for layout in ("whitespace-split", "replace"):
        with open(os.path.join(OUT, f"tokenizer-{layout}.json"), "w", encoding="utf-8") as fh:
            json.dump(tokenizer_json(sp, charsmap, layout), fh, ensure_ascii=False, separators=(",", ":"))

    probes = nfkc_differs()
    rng = random.Random(7)
    texts = edge_cases() + combining_cases(rng) + corpus(rng, 400)
    # Long answers: many pieces on one path, where float rounding of the running score decides near-ties.
    texts += [" ".join(sentence(rng, lang) for _ in range(30)) for lang in WORDS for _ in range(6)]
    texts += [" ".join(sentence(rng, "en") for _ in range(120)) for _ in range(12)]
    texts += [" ".join("a" + c + "b" for c in probes[i:i + 8]) for i in range(0, len(probes), 8)]
    cases = [{"text": t, "ids": slow_ids(sp, t)} for t in texts]
    with open(os.path.join(OUT, "expected.json"), "w", encoding="utf-8") as fh:
        head = json.dumps({"sentencepiece": spm.__version__, "vocab": sp.get_piece_size(), "nfkcDiffers": len(probes)})[:-1]
        rows = ",\n".join(json.dumps(c, ensure_ascii=False, separators=(",", ":")) for c in cases)
        fh.write(f'{head}, "cases": [\n{rows}\n]}}\n')
    print(f"{len(cases)} cases, {len(probes)} code points where nmt_nfkc != NFKC, vocab {sp.get_piece_size()}")
    with open(os.path.join(OUT, "normalizer-digests.json"), "w", encoding="utf-8") as fh:
        json.dump({"block": NORM_BLOCK, "context": ["a", "b"], "digests": normalizer_digests(sp)}, fh, indent=0)

    files = sorted(glob.glob(os.path.join(OFFICIAL, "*.jsonl")))
    if not files:
        print(f"no official responses under {OFFICIAL}: official-ids.json not written", file=sys.stderr)
        return
    distinct = set()
    for f in files:
        with open(f, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    r = json.loads(line)
                    distinct.update(s for s in (r.get("prompt"), r.get("text")) if isinstance(s, str))
    table = {}
    for t in sorted(distinct):
        ids = slow_ids(sp, t)
        table[digest(t)] = f"{len(ids)}:{hashlib.sha256(','.join(map(str, ids)).encode()).hexdigest()[:16]}"
    with open(os.path.join(OUT, "official-ids.json"), "w", encoding="utf-8") as fh:
        json.dump({"texts": len(table), "ids": table}, fh, indent=0, sort_keys=True)
    print(f"{len(table)} distinct official texts")


if __name__ == "__main__":
    main()
