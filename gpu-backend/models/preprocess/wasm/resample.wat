;; SIMD kernels for SiglipImageProcessor's decode → resize → normalise chain, driven by simdPreprocessor.ts.
;;
;; The resize is Pillow's separable convolution (Resample.c, as torch's antialiased uint8 resize also runs it):
;; a horizontal pass into an 8-bit intermediate, then a vertical pass, each output being
;; clamp((half + Σ pixel·weight) >> precision, 0, 255) in exact integer arithmetic. Integer sums do not depend on
;; the order of the additions, so these kernels are bit-identical to the scalar code however they group the taps.
;; - `_i16` kernels take int16 weights (torch's scheme) and use i32x4.dot_i16x8_s: 8 products per instruction.
;; - `_i16x2` kernels take Pillow's 22-bit weights split as w = hi·2^11 + lo (lo in 0..2047), both int16, and add
;;   (Σ p·hi) << 11 to Σ p·lo. Every i32 operation wraps modulo 2^32, so the result is exact whenever the true sum
;;   fits in an i32, which Pillow guarantees (255 · Σ|w| < 2^31).
;; The clamp to 0..255 is the two saturating narrows i32 → i16 → u8 (after the arithmetic shift).
;; Images are interleaved RGB, rows `stride` bytes apart. Callers leave padding after every buffer that a kernel
;; reads or writes in 16-byte steps (simdPreprocessor.ts's PAD); weights past a pixel's taps are 0, and the tables
;; (kernelTables.ts) give every output at least one group or pair of taps. Precision is at least 1.
;; Build: `npx tsx scripts/build-preprocess-wasm.ts` (resample.wasm and resampleWasm.ts are its outputs).
(module
  (memory (export "memory") 1)

  ;; Horizontal pass, int16 weights. For each of `rows` rows and each output pixel x, the table holds
  ;; [i32 byte offset of the first tap in the row][i32 groups of 4 taps] then per group two vectors of int16
  ;; weights laid out as [w0 w1 w0 w1 w0 w1 0 0] and [w2 w3 w2 w3 w2 w3 0 0], matching the swizzles below that
  ;; turn 4 RGB pixels (12 bytes) into [r0 r1 g0 g1 b0 b1 0 0] and [r2 r3 g2 g3 b2 b3 0 0]. Each output pixel
  ;; is stored as 4 bytes, the 4th overwritten by the next pixel: rows need one spare byte at their end.
  (func (export "h_i16")
    (param $src i32) (param $srcStride i32) (param $rows i32) (param $dst i32) (param $dstStride i32)
    (param $tab i32) (param $outW i32) (param $prec i32)
    (local $t i32) (local $p i32) (local $o i32) (local $x i32) (local $g i32)
    (local $acc v128) (local $v v128) (local $half v128)
    (local.set $half (i32x4.splat (i32.shl (i32.const 1) (i32.sub (local.get $prec) (i32.const 1)))))
    (block $done
      (loop $row
        (br_if $done (i32.eqz (local.get $rows)))
        (local.set $t (local.get $tab))
        (local.set $o (local.get $dst))
        (local.set $x (local.get $outW))
        (loop $pixel
          (local.set $p (i32.add (local.get $src) (i32.load (local.get $t))))
          (local.set $g (i32.load offset=4 (local.get $t)))
          (local.set $t (i32.add (local.get $t) (i32.const 8)))
          (local.set $acc (local.get $half))
          (loop $group
            (local.set $v (v128.load (local.get $p)))
            (local.set $acc (i32x4.add (local.get $acc) (i32x4.dot_i16x8_s
              (i8x16.swizzle (local.get $v) (v128.const i8x16 0 128 3 128 1 128 4 128 2 128 5 128 128 128 128 128))
              (v128.load (local.get $t)))))
            (local.set $acc (i32x4.add (local.get $acc) (i32x4.dot_i16x8_s
              (i8x16.swizzle (local.get $v) (v128.const i8x16 6 128 9 128 7 128 10 128 8 128 11 128 128 128 128 128))
              (v128.load offset=16 (local.get $t)))))
            (local.set $p (i32.add (local.get $p) (i32.const 12)))
            (local.set $t (i32.add (local.get $t) (i32.const 32)))
            (br_if $group (local.tee $g (i32.sub (local.get $g) (i32.const 1)))))
          (v128.store32_lane 0 (local.get $o) (i8x16.narrow_i16x8_u (i16x8.narrow_i32x4_s (i32x4.shr_s (local.get $acc) (local.get $prec)) (v128.const i32x4 0 0 0 0)) (v128.const i32x4 0 0 0 0)))
          (local.set $o (i32.add (local.get $o) (i32.const 3)))
          (br_if $pixel (local.tee $x (i32.sub (local.get $x) (i32.const 1)))))
        (local.set $src (i32.add (local.get $src) (local.get $srcStride)))
        (local.set $dst (i32.add (local.get $dst) (local.get $dstStride)))
        (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
        (br $row))))

  ;; h_i16 on four rows at a time (`rows` a multiple of 4): each weight vector loaded serves four rows.
  (func (export "h_i16_rows4")
    (param $src i32) (param $srcStride i32) (param $rows i32) (param $dst i32) (param $dstStride i32)
    (param $tab i32) (param $outW i32) (param $prec i32)
    (local $t i32) (local $p i32) (local $o i32) (local $x i32) (local $g i32) (local $s2 i32) (local $s3 i32)
    (local $d2 i32) (local $d3 i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $wa v128) (local $wb v128)
    (local $v v128) (local $half v128)
    (local.set $half (i32x4.splat (i32.shl (i32.const 1) (i32.sub (local.get $prec) (i32.const 1)))))
    (local.set $s2 (i32.shl (local.get $srcStride) (i32.const 1)))
    (local.set $s3 (i32.add (local.get $s2) (local.get $srcStride)))
    (local.set $d2 (i32.shl (local.get $dstStride) (i32.const 1)))
    (local.set $d3 (i32.add (local.get $d2) (local.get $dstStride)))
    (block $done
      (loop $row
        (br_if $done (i32.lt_s (local.get $rows) (i32.const 4)))
        (local.set $t (local.get $tab))
        (local.set $o (local.get $dst))
        (local.set $x (local.get $outW))
        (loop $pixel
          (local.set $p (i32.add (local.get $src) (i32.load (local.get $t))))
          (local.set $g (i32.load offset=4 (local.get $t)))
          (local.set $t (i32.add (local.get $t) (i32.const 8)))
          (local.set $a0 (local.get $half))
          (local.set $a1 (local.get $half))
          (local.set $a2 (local.get $half))
          (local.set $a3 (local.get $half))
          (loop $group
            (local.set $wa (v128.load (local.get $t)))
            (local.set $wb (v128.load offset=16 (local.get $t)))
            (local.set $v (v128.load (local.get $p)))
            (local.set $a0 (i32x4.add (local.get $a0) (i32x4.add
              (i32x4.dot_i16x8_s (i8x16.swizzle (local.get $v) (v128.const i8x16 0 128 3 128 1 128 4 128 2 128 5 128 128 128 128 128)) (local.get $wa))
              (i32x4.dot_i16x8_s (i8x16.swizzle (local.get $v) (v128.const i8x16 6 128 9 128 7 128 10 128 8 128 11 128 128 128 128 128)) (local.get $wb)))))
            (local.set $v (v128.load (i32.add (local.get $p) (local.get $srcStride))))
            (local.set $a1 (i32x4.add (local.get $a1) (i32x4.add
              (i32x4.dot_i16x8_s (i8x16.swizzle (local.get $v) (v128.const i8x16 0 128 3 128 1 128 4 128 2 128 5 128 128 128 128 128)) (local.get $wa))
              (i32x4.dot_i16x8_s (i8x16.swizzle (local.get $v) (v128.const i8x16 6 128 9 128 7 128 10 128 8 128 11 128 128 128 128 128)) (local.get $wb)))))
            (local.set $v (v128.load (i32.add (local.get $p) (local.get $s2))))
            (local.set $a2 (i32x4.add (local.get $a2) (i32x4.add
              (i32x4.dot_i16x8_s (i8x16.swizzle (local.get $v) (v128.const i8x16 0 128 3 128 1 128 4 128 2 128 5 128 128 128 128 128)) (local.get $wa))
              (i32x4.dot_i16x8_s (i8x16.swizzle (local.get $v) (v128.const i8x16 6 128 9 128 7 128 10 128 8 128 11 128 128 128 128 128)) (local.get $wb)))))
            (local.set $v (v128.load (i32.add (local.get $p) (local.get $s3))))
            (local.set $a3 (i32x4.add (local.get $a3) (i32x4.add
              (i32x4.dot_i16x8_s (i8x16.swizzle (local.get $v) (v128.const i8x16 0 128 3 128 1 128 4 128 2 128 5 128 128 128 128 128)) (local.get $wa))
              (i32x4.dot_i16x8_s (i8x16.swizzle (local.get $v) (v128.const i8x16 6 128 9 128 7 128 10 128 8 128 11 128 128 128 128 128)) (local.get $wb)))))
            (local.set $p (i32.add (local.get $p) (i32.const 12)))
            (local.set $t (i32.add (local.get $t) (i32.const 32)))
            (br_if $group (local.tee $g (i32.sub (local.get $g) (i32.const 1)))))
          (v128.store32_lane 0 (local.get $o) (i8x16.narrow_i16x8_u (i16x8.narrow_i32x4_s (i32x4.shr_s (local.get $a0) (local.get $prec)) (v128.const i32x4 0 0 0 0)) (v128.const i32x4 0 0 0 0)))
          (v128.store32_lane 0 (i32.add (local.get $o) (local.get $dstStride)) (i8x16.narrow_i16x8_u (i16x8.narrow_i32x4_s (i32x4.shr_s (local.get $a1) (local.get $prec)) (v128.const i32x4 0 0 0 0)) (v128.const i32x4 0 0 0 0)))
          (v128.store32_lane 0 (i32.add (local.get $o) (local.get $d2)) (i8x16.narrow_i16x8_u (i16x8.narrow_i32x4_s (i32x4.shr_s (local.get $a2) (local.get $prec)) (v128.const i32x4 0 0 0 0)) (v128.const i32x4 0 0 0 0)))
          (v128.store32_lane 0 (i32.add (local.get $o) (local.get $d3)) (i8x16.narrow_i16x8_u (i16x8.narrow_i32x4_s (i32x4.shr_s (local.get $a3) (local.get $prec)) (v128.const i32x4 0 0 0 0)) (v128.const i32x4 0 0 0 0)))
          (local.set $o (i32.add (local.get $o) (i32.const 3)))
          (br_if $pixel (local.tee $x (i32.sub (local.get $x) (i32.const 1)))))
        (local.set $src (i32.add (local.get $src) (i32.shl (local.get $srcStride) (i32.const 2))))
        (local.set $dst (i32.add (local.get $dst) (i32.shl (local.get $dstStride) (i32.const 2))))
        (local.set $rows (i32.sub (local.get $rows) (i32.const 4)))
        (br $row))))

  ;; Horizontal pass, split 22-bit weights: as h_i16, with four weight vectors per group (hi pair A, hi pair B,
  ;; lo pair A, lo pair B).
  (func (export "h_i16x2")
    (param $src i32) (param $srcStride i32) (param $rows i32) (param $dst i32) (param $dstStride i32)
    (param $tab i32) (param $outW i32) (param $prec i32)
    (local $t i32) (local $p i32) (local $o i32) (local $x i32) (local $g i32)
    (local $hi v128) (local $lo v128) (local $a v128) (local $b v128) (local $v v128) (local $half v128)
    (local.set $half (i32x4.splat (i32.shl (i32.const 1) (i32.sub (local.get $prec) (i32.const 1)))))
    (block $done
      (loop $row
        (br_if $done (i32.eqz (local.get $rows)))
        (local.set $t (local.get $tab))
        (local.set $o (local.get $dst))
        (local.set $x (local.get $outW))
        (loop $pixel
          (local.set $p (i32.add (local.get $src) (i32.load (local.get $t))))
          (local.set $g (i32.load offset=4 (local.get $t)))
          (local.set $t (i32.add (local.get $t) (i32.const 8)))
          (local.set $hi (v128.const i32x4 0 0 0 0))
          (local.set $lo (local.get $half))
          (loop $group
            (local.set $v (v128.load (local.get $p)))
            (local.set $a (i8x16.swizzle (local.get $v) (v128.const i8x16 0 128 3 128 1 128 4 128 2 128 5 128 128 128 128 128)))
            (local.set $b (i8x16.swizzle (local.get $v) (v128.const i8x16 6 128 9 128 7 128 10 128 8 128 11 128 128 128 128 128)))
            (local.set $hi (i32x4.add (local.get $hi) (i32x4.dot_i16x8_s (local.get $a) (v128.load (local.get $t)))))
            (local.set $hi (i32x4.add (local.get $hi) (i32x4.dot_i16x8_s (local.get $b) (v128.load offset=16 (local.get $t)))))
            (local.set $lo (i32x4.add (local.get $lo) (i32x4.dot_i16x8_s (local.get $a) (v128.load offset=32 (local.get $t)))))
            (local.set $lo (i32x4.add (local.get $lo) (i32x4.dot_i16x8_s (local.get $b) (v128.load offset=48 (local.get $t)))))
            (local.set $p (i32.add (local.get $p) (i32.const 12)))
            (local.set $t (i32.add (local.get $t) (i32.const 64)))
            (br_if $group (local.tee $g (i32.sub (local.get $g) (i32.const 1)))))
          (v128.store32_lane 0 (local.get $o)
            (i8x16.narrow_i16x8_u (i16x8.narrow_i32x4_s (i32x4.shr_s (i32x4.add (i32x4.shl (local.get $hi) (i32.const 11)) (local.get $lo)) (local.get $prec)) (v128.const i32x4 0 0 0 0)) (v128.const i32x4 0 0 0 0)))
          (local.set $o (i32.add (local.get $o) (i32.const 3)))
          (br_if $pixel (local.tee $x (i32.sub (local.get $x) (i32.const 1)))))
        (local.set $src (i32.add (local.get $src) (local.get $srcStride)))
        (local.set $dst (i32.add (local.get $dst) (local.get $dstStride)))
        (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
        (br $row))))

  ;; h_i16x2 on two rows at a time (`rows` even).
  (func (export "h_i16x2_rows2")
    (param $src i32) (param $srcStride i32) (param $rows i32) (param $dst i32) (param $dstStride i32)
    (param $tab i32) (param $outW i32) (param $prec i32)
    (local $t i32) (local $p i32) (local $o i32) (local $x i32) (local $g i32)
    (local $hi0 v128) (local $lo0 v128) (local $hi1 v128) (local $lo1 v128) (local $a v128) (local $b v128) (local $half v128)
    (local.set $half (i32x4.splat (i32.shl (i32.const 1) (i32.sub (local.get $prec) (i32.const 1)))))
    (block $done
      (loop $row
        (br_if $done (i32.lt_s (local.get $rows) (i32.const 2)))
        (local.set $t (local.get $tab))
        (local.set $o (local.get $dst))
        (local.set $x (local.get $outW))
        (loop $pixel
          (local.set $p (i32.add (local.get $src) (i32.load (local.get $t))))
          (local.set $g (i32.load offset=4 (local.get $t)))
          (local.set $t (i32.add (local.get $t) (i32.const 8)))
          (local.set $hi0 (v128.const i32x4 0 0 0 0))
          (local.set $hi1 (v128.const i32x4 0 0 0 0))
          (local.set $lo0 (local.get $half))
          (local.set $lo1 (local.get $half))
          (loop $group
            (local.set $a (v128.load (local.get $p)))
            (local.set $b (i8x16.swizzle (local.get $a) (v128.const i8x16 6 128 9 128 7 128 10 128 8 128 11 128 128 128 128 128)))
            (local.set $a (i8x16.swizzle (local.get $a) (v128.const i8x16 0 128 3 128 1 128 4 128 2 128 5 128 128 128 128 128)))
            (local.set $hi0 (i32x4.add (local.get $hi0) (i32x4.add
              (i32x4.dot_i16x8_s (local.get $a) (v128.load (local.get $t))) (i32x4.dot_i16x8_s (local.get $b) (v128.load offset=16 (local.get $t))))))
            (local.set $lo0 (i32x4.add (local.get $lo0) (i32x4.add
              (i32x4.dot_i16x8_s (local.get $a) (v128.load offset=32 (local.get $t))) (i32x4.dot_i16x8_s (local.get $b) (v128.load offset=48 (local.get $t))))))
            (local.set $a (v128.load (i32.add (local.get $p) (local.get $srcStride))))
            (local.set $b (i8x16.swizzle (local.get $a) (v128.const i8x16 6 128 9 128 7 128 10 128 8 128 11 128 128 128 128 128)))
            (local.set $a (i8x16.swizzle (local.get $a) (v128.const i8x16 0 128 3 128 1 128 4 128 2 128 5 128 128 128 128 128)))
            (local.set $hi1 (i32x4.add (local.get $hi1) (i32x4.add
              (i32x4.dot_i16x8_s (local.get $a) (v128.load (local.get $t))) (i32x4.dot_i16x8_s (local.get $b) (v128.load offset=16 (local.get $t))))))
            (local.set $lo1 (i32x4.add (local.get $lo1) (i32x4.add
              (i32x4.dot_i16x8_s (local.get $a) (v128.load offset=32 (local.get $t))) (i32x4.dot_i16x8_s (local.get $b) (v128.load offset=48 (local.get $t))))))
            (local.set $p (i32.add (local.get $p) (i32.const 12)))
            (local.set $t (i32.add (local.get $t) (i32.const 64)))
            (br_if $group (local.tee $g (i32.sub (local.get $g) (i32.const 1)))))
          (v128.store32_lane 0 (local.get $o)
            (i8x16.narrow_i16x8_u (i16x8.narrow_i32x4_s (i32x4.shr_s (i32x4.add (i32x4.shl (local.get $hi0) (i32.const 11)) (local.get $lo0)) (local.get $prec)) (v128.const i32x4 0 0 0 0)) (v128.const i32x4 0 0 0 0)))
          (v128.store32_lane 0 (i32.add (local.get $o) (local.get $dstStride))
            (i8x16.narrow_i16x8_u (i16x8.narrow_i32x4_s (i32x4.shr_s (i32x4.add (i32x4.shl (local.get $hi1) (i32.const 11)) (local.get $lo1)) (local.get $prec)) (v128.const i32x4 0 0 0 0)) (v128.const i32x4 0 0 0 0)))
          (local.set $o (i32.add (local.get $o) (i32.const 3)))
          (br_if $pixel (local.tee $x (i32.sub (local.get $x) (i32.const 1)))))
        (local.set $src (i32.add (local.get $src) (i32.shl (local.get $srcStride) (i32.const 1))))
        (local.set $dst (i32.add (local.get $dst) (i32.shl (local.get $dstStride) (i32.const 1))))
        (local.set $rows (i32.sub (local.get $rows) (i32.const 2)))
        (br $row))))

  ;; One output row of the vertical pass, int16 weights, `bytes` samples rounded up to 16. The row's table entry
  ;; is [i32 byte offset of its first input row][i32 pairs of taps] then per pair an i32 holding the two int16
  ;; weights (first tap in the low half). Rows t and t+1 are interleaved bytewise, widened to int16 and dotted
  ;; with the pair, four outputs per dot.
  (func $vrow_i16 (param $src i32) (param $stride i32) (param $entry i32) (param $dst i32) (param $bytes i32) (param $prec i32)
    (local $i i32) (local $r i32) (local $w i32) (local $k i32) (local $pairs i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $wv v128) (local $lo v128) (local $hi v128) (local $half v128)
    (local.set $half (i32x4.splat (i32.shl (i32.const 1) (i32.sub (local.get $prec) (i32.const 1)))))
    (local.set $src (i32.add (local.get $src) (i32.load (local.get $entry))))
    (local.set $pairs (i32.load offset=4 (local.get $entry)))
    (block $done
      (loop $step
        (br_if $done (i32.ge_s (local.get $i) (local.get $bytes)))
        (local.set $a0 (local.get $half))
        (local.set $a1 (local.get $half))
        (local.set $a2 (local.get $half))
        (local.set $a3 (local.get $half))
        (local.set $r (i32.add (local.get $src) (local.get $i)))
        (local.set $w (i32.add (local.get $entry) (i32.const 8)))
        (local.set $k (local.get $pairs))
        (loop $tap
          (local.set $wv (v128.load32_splat (local.get $w)))
          (local.set $lo (v128.load (local.get $r)))
          (local.set $hi (v128.load (i32.add (local.get $r) (local.get $stride))))
          (local.set $r (i32.add (local.get $r) (i32.shl (local.get $stride) (i32.const 1))))
          (local.set $w (i32.add (local.get $w) (i32.const 4)))
          (local.set $a0 (i32x4.add (local.get $a0) (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_u
            (i8x16.shuffle 0 16 1 17 2 18 3 19 4 20 5 21 6 22 7 23 (local.get $lo) (local.get $hi))) (local.get $wv))))
          (local.set $a1 (i32x4.add (local.get $a1) (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_u
            (i8x16.shuffle 0 16 1 17 2 18 3 19 4 20 5 21 6 22 7 23 (local.get $lo) (local.get $hi))) (local.get $wv))))
          (local.set $hi (i8x16.shuffle 8 24 9 25 10 26 11 27 12 28 13 29 14 30 15 31 (local.get $lo) (local.get $hi)))
          (local.set $a2 (i32x4.add (local.get $a2) (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_u (local.get $hi)) (local.get $wv))))
          (local.set $a3 (i32x4.add (local.get $a3) (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_u (local.get $hi)) (local.get $wv))))
          (br_if $tap (local.tee $k (i32.sub (local.get $k) (i32.const 1)))))
        (v128.store (i32.add (local.get $dst) (local.get $i)) (call $clip16
          (local.get $a0) (local.get $a1) (local.get $a2) (local.get $a3) (local.get $prec)))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $step))))

  ;; One output row of the vertical pass, split 22-bit weights: per pair an i32 of hi weights, then one of lo.
  ;; Eight samples per step keep the eight accumulators in registers.
  (func $vrow_i16x2 (param $src i32) (param $stride i32) (param $entry i32) (param $dst i32) (param $bytes i32) (param $prec i32)
    (local $i i32) (local $r i32) (local $w i32) (local $k i32) (local $pairs i32)
    (local $h0 v128) (local $h1 v128) (local $l0 v128) (local $l1 v128) (local $whi v128) (local $wlo v128)
    (local $e0 v128) (local $e1 v128) (local $half v128)
    (local.set $half (i32x4.splat (i32.shl (i32.const 1) (i32.sub (local.get $prec) (i32.const 1)))))
    (local.set $src (i32.add (local.get $src) (i32.load (local.get $entry))))
    (local.set $pairs (i32.load offset=4 (local.get $entry)))
    (block $done
      (loop $step
        (br_if $done (i32.ge_s (local.get $i) (local.get $bytes)))
        (local.set $h0 (v128.const i32x4 0 0 0 0))
        (local.set $h1 (v128.const i32x4 0 0 0 0))
        (local.set $l0 (local.get $half))
        (local.set $l1 (local.get $half))
        (local.set $r (i32.add (local.get $src) (local.get $i)))
        (local.set $w (i32.add (local.get $entry) (i32.const 8)))
        (local.set $k (local.get $pairs))
        (loop $tap
          (local.set $whi (v128.load32_splat (local.get $w)))
          (local.set $wlo (v128.load32_splat offset=4 (local.get $w)))
          (local.set $e1 (i8x16.shuffle 0 16 1 17 2 18 3 19 4 20 5 21 6 22 7 23
            (v128.load64_zero (local.get $r)) (v128.load64_zero (i32.add (local.get $r) (local.get $stride)))))
          (local.set $e0 (i16x8.extend_low_i8x16_u (local.get $e1)))
          (local.set $e1 (i16x8.extend_high_i8x16_u (local.get $e1)))
          (local.set $h0 (i32x4.add (local.get $h0) (i32x4.dot_i16x8_s (local.get $e0) (local.get $whi))))
          (local.set $h1 (i32x4.add (local.get $h1) (i32x4.dot_i16x8_s (local.get $e1) (local.get $whi))))
          (local.set $l0 (i32x4.add (local.get $l0) (i32x4.dot_i16x8_s (local.get $e0) (local.get $wlo))))
          (local.set $l1 (i32x4.add (local.get $l1) (i32x4.dot_i16x8_s (local.get $e1) (local.get $wlo))))
          (local.set $r (i32.add (local.get $r) (i32.shl (local.get $stride) (i32.const 1))))
          (local.set $w (i32.add (local.get $w) (i32.const 8)))
          (br_if $tap (local.tee $k (i32.sub (local.get $k) (i32.const 1)))))
        (local.set $h0 (i32x4.add (i32x4.shl (local.get $h0) (i32.const 11)) (local.get $l0)))
        (local.set $h1 (i32x4.add (i32x4.shl (local.get $h1) (i32.const 11)) (local.get $l1)))
        (v128.store64_lane 0 (i32.add (local.get $dst) (local.get $i))
          (call $clip16 (local.get $h0) (local.get $h1) (local.get $h0) (local.get $h1) (local.get $prec)))
        (local.set $i (i32.add (local.get $i) (i32.const 8)))
        (br $step))))

  ;; Four vectors of sums → 16 bytes, each (sum >> prec) clamped to 0..255.
  (func $clip16 (param $a v128) (param $b v128) (param $c v128) (param $d v128) (param $prec i32) (result v128)
    (i8x16.narrow_i16x8_u
      (i16x8.narrow_i32x4_s (i32x4.shr_s (local.get $a) (local.get $prec)) (i32x4.shr_s (local.get $b) (local.get $prec)))
      (i16x8.narrow_i32x4_s (i32x4.shr_s (local.get $c) (local.get $prec)) (i32x4.shr_s (local.get $d) (local.get $prec)))))

  ;; Vertical pass over `rows` output rows into an 8-bit image; table entries are `entryStride` bytes apart.
  (func (export "v_i16")
    (param $src i32) (param $stride i32) (param $tab i32) (param $entryStride i32) (param $rows i32)
    (param $dst i32) (param $dstStride i32) (param $bytes i32) (param $prec i32)
    (block $done
      (loop $row
        (br_if $done (i32.eqz (local.get $rows)))
        (call $vrow_i16 (local.get $src) (local.get $stride) (local.get $tab) (local.get $dst) (local.get $bytes) (local.get $prec))
        (local.set $tab (i32.add (local.get $tab) (local.get $entryStride)))
        (local.set $dst (i32.add (local.get $dst) (local.get $dstStride)))
        (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
        (br $row))))

  (func (export "v_i16x2")
    (param $src i32) (param $stride i32) (param $tab i32) (param $entryStride i32) (param $rows i32)
    (param $dst i32) (param $dstStride i32) (param $bytes i32) (param $prec i32)
    (block $done
      (loop $row
        (br_if $done (i32.eqz (local.get $rows)))
        (call $vrow_i16x2 (local.get $src) (local.get $stride) (local.get $tab) (local.get $dst) (local.get $bytes) (local.get $prec))
        (local.set $tab (i32.add (local.get $tab) (local.get $entryStride)))
        (local.set $dst (i32.add (local.get $dst) (local.get $dstStride)))
        (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
        (br $row))))

  ;; The fused last step: each vertical-pass row goes to `scratch` (it stays in L1) and straight on to the planes.
  (func (export "v_norm_i16")
    (param $src i32) (param $stride i32) (param $tab i32) (param $entryStride i32) (param $rows i32)
    (param $scratch i32) (param $pixels i32) (param $prec i32) (param $dst i32) (param $plane i32) (param $norm i32)
    (local $bytes i32)
    (local.set $bytes (i32.mul (local.get $pixels) (i32.const 3)))
    (block $done
      (loop $row
        (br_if $done (i32.eqz (local.get $rows)))
        (call $vrow_i16 (local.get $src) (local.get $stride) (local.get $tab) (local.get $scratch) (local.get $bytes) (local.get $prec))
        (call $norm_row (local.get $scratch) (local.get $pixels) (local.get $dst) (local.get $plane) (local.get $norm))
        (local.set $tab (i32.add (local.get $tab) (local.get $entryStride)))
        (local.set $dst (i32.add (local.get $dst) (i32.shl (local.get $pixels) (i32.const 2))))
        (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
        (br $row))))

  (func (export "v_norm_i16x2")
    (param $src i32) (param $stride i32) (param $tab i32) (param $entryStride i32) (param $rows i32)
    (param $scratch i32) (param $pixels i32) (param $prec i32) (param $dst i32) (param $plane i32) (param $norm i32)
    (local $bytes i32)
    (local.set $bytes (i32.mul (local.get $pixels) (i32.const 3)))
    (block $done
      (loop $row
        (br_if $done (i32.eqz (local.get $rows)))
        (call $vrow_i16x2 (local.get $src) (local.get $stride) (local.get $tab) (local.get $scratch) (local.get $bytes) (local.get $prec))
        (call $norm_row (local.get $scratch) (local.get $pixels) (local.get $dst) (local.get $plane) (local.get $norm))
        (local.set $tab (i32.add (local.get $tab) (local.get $entryStride)))
        (local.set $dst (i32.add (local.get $dst) (i32.shl (local.get $pixels) (i32.const 2))))
        (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
        (br $row))))

  ;; Normalises `rows` rows of an 8-bit RGB image into the three float32 planes.
  (func (export "norm")
    (param $src i32) (param $stride i32) (param $rows i32) (param $pixels i32) (param $dst i32) (param $plane i32) (param $norm i32)
    (block $done
      (loop $row
        (br_if $done (i32.eqz (local.get $rows)))
        (call $norm_row (local.get $src) (local.get $pixels) (local.get $dst) (local.get $plane) (local.get $norm))
        (local.set $src (i32.add (local.get $src) (local.get $stride)))
        (local.set $dst (i32.add (local.get $dst) (i32.shl (local.get $pixels) (i32.const 2))))
        (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
        (br $row))))

  ;; One row of `pixels` RGB bytes → float32 at dst (R plane), dst + plane (G), dst + 2·plane (B), 16 pixels
  ;; per step. `norm` points at [i32 mode][f32 a0 a1 a2][f32 b0 b1 b2]: mode 0 computes (v - a) / b, mode 1 v · a,
  ;; in float32 like normalizationTables (IEEE operations, so the same roundings).
  (func $norm_row (param $src i32) (param $pixels i32) (param $dst i32) (param $plane i32) (param $norm i32)
    (local $x i32) (local $va v128) (local $vb v128) (local $vc v128) (local $t v128)
    (block $done
      (loop $step
        (br_if $done (i32.ge_s (local.get $x) (local.get $pixels)))
        (local.set $va (v128.load (local.get $src)))
        (local.set $vb (v128.load offset=16 (local.get $src)))
        (local.set $vc (v128.load offset=32 (local.get $src)))
        (local.set $t (i8x16.shuffle 0 3 6 9 12 15 18 21 24 27 30 0 0 0 0 0 (local.get $va) (local.get $vb)))
        (call $store16 (i8x16.shuffle 0 1 2 3 4 5 6 7 8 9 10 17 20 23 26 29 (local.get $t) (local.get $vc))
          (local.get $dst) (f32.load offset=4 (local.get $norm)) (f32.load offset=16 (local.get $norm)) (i32.load (local.get $norm)))
        (local.set $t (i8x16.shuffle 1 4 7 10 13 16 19 22 25 28 31 0 0 0 0 0 (local.get $va) (local.get $vb)))
        (call $store16 (i8x16.shuffle 0 1 2 3 4 5 6 7 8 9 10 18 21 24 27 30 (local.get $t) (local.get $vc))
          (i32.add (local.get $dst) (local.get $plane))
          (f32.load offset=8 (local.get $norm)) (f32.load offset=20 (local.get $norm)) (i32.load (local.get $norm)))
        (local.set $t (i8x16.shuffle 2 5 8 11 14 17 20 23 26 29 0 0 0 0 0 0 (local.get $va) (local.get $vb)))
        (call $store16 (i8x16.shuffle 0 1 2 3 4 5 6 7 8 9 16 19 22 25 28 31 (local.get $t) (local.get $vc))
          (i32.add (local.get $dst) (i32.shl (local.get $plane) (i32.const 1)))
          (f32.load offset=12 (local.get $norm)) (f32.load offset=24 (local.get $norm)) (i32.load (local.get $norm)))
        (local.set $src (i32.add (local.get $src) (i32.const 48)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 64)))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (br $step))))

  ;; 16 bytes of one channel → 16 float32 at dst: (v - a) / b, or v · a when `mode` is 1.
  (func $store16 (param $v v128) (param $dst i32) (param $a f32) (param $b f32) (param $mode i32)
    (local $lo v128) (local $hi v128) (local $va v128) (local $vb v128)
    (local.set $va (f32x4.splat (local.get $a)))
    (local.set $vb (f32x4.splat (local.get $b)))
    (local.set $lo (i16x8.extend_low_i8x16_u (local.get $v)))
    (local.set $hi (i16x8.extend_high_i8x16_u (local.get $v)))
    (if (local.get $mode)
      (then
        (v128.store offset=0 (local.get $dst) (f32x4.mul (f32x4.convert_i32x4_s (i32x4.extend_low_i16x8_u (local.get $lo))) (local.get $va)))
        (v128.store offset=16 (local.get $dst) (f32x4.mul (f32x4.convert_i32x4_s (i32x4.extend_high_i16x8_u (local.get $lo))) (local.get $va)))
        (v128.store offset=32 (local.get $dst) (f32x4.mul (f32x4.convert_i32x4_s (i32x4.extend_low_i16x8_u (local.get $hi))) (local.get $va)))
        (v128.store offset=48 (local.get $dst) (f32x4.mul (f32x4.convert_i32x4_s (i32x4.extend_high_i16x8_u (local.get $hi))) (local.get $va))))
      (else
        (v128.store offset=0 (local.get $dst) (f32x4.div (f32x4.sub (f32x4.convert_i32x4_s (i32x4.extend_low_i16x8_u (local.get $lo))) (local.get $va)) (local.get $vb)))
        (v128.store offset=16 (local.get $dst) (f32x4.div (f32x4.sub (f32x4.convert_i32x4_s (i32x4.extend_high_i16x8_u (local.get $lo))) (local.get $va)) (local.get $vb)))
        (v128.store offset=32 (local.get $dst) (f32x4.div (f32x4.sub (f32x4.convert_i32x4_s (i32x4.extend_low_i16x8_u (local.get $hi))) (local.get $va)) (local.get $vb)))
        (v128.store offset=48 (local.get $dst) (f32x4.div (f32x4.sub (f32x4.convert_i32x4_s (i32x4.extend_high_i16x8_u (local.get $hi))) (local.get $va)) (local.get $vb))))))
)
