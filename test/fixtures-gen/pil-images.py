#!/usr/bin/env python3
"""
Generate small test images of every kind the decoder must handle, and what the authors'
pipeline sees in them: PIL's `Image.open(p).convert("RGB")` bytes (sha256 plus sampled pixels).

Run from the repository root with Debian's python3-pil (used at test-generation time only):
    /usr/bin/python3 test/fixtures-gen/pil-images.py
Writes test/fixtures/images/<name> and test/fixtures/images/expected.json (both committed).
"""
import base64, hashlib, io, json, os, struct, zlib
import PIL
from PIL import Image, ImageCms

OUT = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'images')
W, H = 23, 17  # odd sizes: row padding (BMP), chroma subsampling edges (JPEG)


def gradient_rgb():
    im = Image.new('RGB', (W, H))
    im.putdata([((x * 255) // (W - 1), (y * 255) // (H - 1), ((x + y) * 37) % 256) for y in range(H) for x in range(W)])
    return im


def alpha_band():
    a = Image.new('L', (W, H))
    a.putdata([(x * 11 + y * 13) % 256 for y in range(H) for x in range(W)])
    return a


def swapped_primaries_icc():
    """lcms's sRGB profile with the red and blue colorant tags swapped: a valid, clearly non-sRGB profile."""
    b = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile('sRGB')).tobytes())
    b[84:100] = bytes(16)  # profile id (MD5): 0 = not computed
    b[24:36] = struct.pack('>6H', 2020, 1, 1, 0, 0, 0)  # fixed creation date: the same bytes on every run
    n = struct.unpack('>I', b[128:132])[0]
    tags = {}
    for i in range(n):
        off = 132 + 12 * i
        tags[bytes(b[off:off + 4])] = off
    r, bl = tags[b'rXYZ'], tags[b'bXYZ']
    b[r + 4:r + 12], b[bl + 4:bl + 12] = bytes(b[bl + 4:bl + 12]), bytes(b[r + 4:r + 12])
    return bytes(b)


def bmp(bits, width, height, rows, palette=b'', compression=0, masks=None, top_down=False):
    """A BITMAPINFOHEADER BMP written by hand (for depths PIL does not write)."""
    stride = ((width * bits + 31) // 32) * 4
    pixels = b''.join(r.ljust(stride, b'\0') for r in (rows if top_down else reversed(rows)))
    extra = b''.join(struct.pack('<I', m) for m in masks) if masks else b''
    header_size = 40
    off = 14 + header_size + len(extra) + len(palette)
    info = struct.pack('<IiiHHIIiiII', header_size, width, -height if top_down else height, 1, bits, compression,
                       len(pixels), 2835, 2835, len(palette) // 4, 0)
    return b'BM' + struct.pack('<IHHI', off + len(pixels), 0, 0, off) + info + extra + palette + pixels


def rle(rows, rle4):
    """RLE8/RLE4 pixel data (bottom-up rows of palette indices): encoded runs for repeats, absolute runs
    (even lengths for RLE4) for the rest, an end-of-line after each row and an end-of-bitmap."""
    out = bytearray()
    for row in reversed(rows):
        i = 0
        while i < len(row):
            j = i
            while j < len(row) and row[j] == row[i] and j - i < 255:
                j += 1
            if j - i >= 3 or len(row) - i < 4:
                n = j - i
                out += bytes((n, (row[i] << 4) | row[i] if rle4 else row[i]))
                i = j
                continue
            n = min(len(row) - i, 254) & ~1 if rle4 else min(len(row) - i, 255)
            n = max(n, 3 if not rle4 else 4)
            lit = row[i:i + n]
            if rle4:
                data = bytes((lit[k] << 4) | lit[k + 1] for k in range(0, n, 2))
            else:
                data = bytes(lit)
            out += bytes((0, n)) + data
            if len(data) % 2:
                out += b'\0'
            i += n
        out += b'\0\0'
    return bytes(out + b'\0\1')


def bmp_rle(bits, width, height, payload, palette):
    off = 14 + 40 + len(palette)
    info = struct.pack('<IiiHHIIiiII', 40, width, height, 1, bits, 1 if bits == 8 else 2, len(payload), 2835, 2835, len(palette) // 4, 0)
    return b'BM' + struct.pack('<IHHI', off + len(payload), 0, 0, off) + info + palette + payload


def png16(colour_type, channels):
    """A 16-bit PNG written by hand (grey: PIL opens it as mode I and clips at 255; others keep the high byte)."""
    rows = b''.join(b'\0' + b''.join(struct.pack('>H', (x * 2851 + y * 977 + c * 20011) % 65536) for x in range(W) for c in range(channels)) for y in range(H))
    def chunk(t, d):
        return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
    return b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', W, H, 16, colour_type, 0, 0, 0)) + chunk(b'IDAT', zlib.compress(rows)) + chunk(b'IEND', b'')


def strip_adobe(jpg):
    """The same JPEG without its APP14 'Adobe' segment."""
    out, p = bytearray(jpg[:2]), 2
    while p < len(jpg):
        marker, length = jpg[p + 1], struct.unpack('>H', jpg[p + 2:p + 4])[0]
        if marker == 0xDA:
            out += jpg[p:]
            break
        if not (marker == 0xEE and jpg[p + 4:p + 9] == b'Adobe'):
            out += jpg[p:p + 2 + length]
        p += 2 + length
    return bytes(out)


def build():
    rgb = gradient_rgb()
    files = {}

    def save(name, im, **kw):
        buf = io.BytesIO()
        im.save(buf, **kw)
        files[name] = buf.getvalue()

    save('rgb.png', rgb, format='PNG')
    rgba = rgb.copy(); rgba.putalpha(alpha_band())
    save('rgba.png', rgba, format='PNG')
    grey = rgb.convert('L')
    save('grey.png', grey, format='PNG')
    la = grey.copy(); la.putalpha(alpha_band())
    save('la.png', la, format='PNG')
    save('bilevel.png', rgb.convert('1'), format='PNG')
    pal = rgb.convert('P', palette=Image.ADAPTIVE, colors=16)
    save('palette.png', pal, format='PNG')
    save('palette-trns.png', pal, format='PNG', transparency=3)
    files['grey16.png'] = png16(0, 1)
    files['la16.png'] = png16(4, 2)
    files['rgb16.png'] = png16(2, 3)
    files['rgba16.png'] = png16(6, 4)
    save('icc-swapped.png', rgb, format='PNG', icc_profile=swapped_primaries_icc())
    save('q420.jpg', rgb, format='JPEG', quality=90, subsampling=2)
    save('q444.jpg', rgb, format='JPEG', quality=90, subsampling=0)
    save('grey.jpg', grey, format='JPEG', quality=90)
    cmyk = rgb.convert('CMYK')
    # make K non-zero so the formula's k term is exercised
    c, m, y, k = cmyk.split(); k = alpha_band().point(lambda v: v // 2)
    cmyk = Image.merge('CMYK', (c, m, y, k))
    save('cmyk-adobe.jpg', cmyk, format='JPEG', quality=95)  # libjpeg writes an Adobe marker: inverted CMYK
    files['cmyk-plain.jpg'] = strip_adobe(files['cmyk-adobe.jpg'])  # no Adobe marker: CMYK read as stored
    g16 = Image.new('I;16', (W, H))
    g16.putdata([(x * 2851 + y * 977) % 65536 for y in range(H) for x in range(W)])
    save('grey16.tif', g16, format='TIFF')
    exif = Image.Exif(); exif[0x0112] = 6
    save('orient6.jpg', rgb, format='JPEG', quality=90, exif=exif.tobytes())
    save('palette.gif', pal, format='GIF')
    save('palette-trns.gif', pal, format='GIF', transparency=3)
    save('lossless.webp', rgb, format='WEBP', lossless=True)
    save('rgba.webp', rgba, format='WEBP', lossless=True)
    save('lossy.webp', rgb, format='WEBP', quality=80)
    save('rgb.tif', rgb, format='TIFF')
    save('lzw.tif', rgb, format='TIFF', compression='tiff_lzw')
    save('cmyk.tif', cmyk, format='TIFF')
    save('rgb24.bmp', rgb, format='BMP')
    save('rgba32.bmp', rgba, format='BMP')
    save('palette8.bmp', pal, format='BMP')
    save('grey8.bmp', grey, format='BMP')
    save('bilevel.bmp', rgb.convert('1'), format='BMP')
    # depths and layouts PIL does not write
    pal16 = pal.getpalette()[:48]
    pal_bgrx = b''.join(bytes((pal16[3 * i + 2], pal16[3 * i + 1], pal16[3 * i], 0)) for i in range(16))
    idx = list(pal.getdata())
    rows4 = [bytes(((idx[y * W + x] & 15) << 4) | ((idx[y * W + x + 1] & 15) if x + 1 < W else 0) for x in range(0, W, 2)) for y in range(H)]
    files['palette4.bmp'] = bmp(4, W, H, rows4, palette=pal_bgrx)
    pal256 = pal.getpalette()[:48] + [0] * (768 - 48)
    pal256_bgrx = b''.join(bytes((pal256[3 * i + 2], pal256[3 * i + 1], pal256[3 * i], 0)) for i in range(256))
    # runs: the left half of each row is one colour, the right half the palette image
    runs = [[idx[y * W] if x < W // 2 else idx[y * W + x] for x in range(W)] for y in range(H)]
    files['rle8.bmp'] = bmp_rle(8, W, H, rle(runs, False), pal256_bgrx)
    files['rle4.bmp'] = bmp_rle(4, W, H, rle([[v & 15 for v in r] for r in runs], True), pal_bgrx)
    files['palette4-short.bmp'] = bmp(4, W, H, rows4, palette=pal_bgrx[:8 * 4])  # indices past the 8 colours given
    px = list(rgb.getdata())
    rows565 = [b''.join(struct.pack('<H', ((r >> 3) << 11) | ((g >> 2) << 5) | (b >> 3)) for (r, g, b) in px[y * W:(y + 1) * W]) for y in range(H)]
    files['rgb565.bmp'] = bmp(16, W, H, rows565, compression=3, masks=(0xF800, 0x07E0, 0x001F))
    rows555 = [b''.join(struct.pack('<H', ((r >> 3) << 10) | ((g >> 3) << 5) | (b >> 3)) for (r, g, b) in px[y * W:(y + 1) * W]) for y in range(H)]
    files['rgb555.bmp'] = bmp(16, W, H, rows555)
    rows24 = [b''.join(bytes((b, g, r)) for (r, g, b) in px[y * W:(y + 1) * W]) for y in range(H)]
    files['topdown24.bmp'] = bmp(24, W, H, rows24, top_down=True)
    return files


def main():
    os.makedirs(OUT, exist_ok=True)
    expected = {'generator': f'test/fixtures-gen/pil-images.py with Pillow {PIL.__version__}', 'recipe': 'Image.open(p).convert("RGB")', 'images': {}}
    for name, data in sorted(build().items()):
        with open(os.path.join(OUT, name), 'wb') as f:
            f.write(data)
        im = Image.open(io.BytesIO(data))
        mode = im.mode
        rgb = im.convert('RGB')
        raw = rgb.tobytes()
        w, h = rgb.size
        samples = [[x, y, list(rgb.getpixel((x, y)))] for (x, y) in [(0, 0), (w - 1, 0), (0, h - 1), (w - 1, h - 1), (w // 2, h // 2), (7, 3)]]
        expected['images'][name] = {'pil_mode': mode, 'width': w, 'height': h, 'sha256': hashlib.sha256(raw).hexdigest(), 'pixels': samples, 'rgb_base64': base64.b64encode(raw).decode()}
    with open(os.path.join(OUT, 'expected.json'), 'w') as f:
        json.dump(expected, f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main()
