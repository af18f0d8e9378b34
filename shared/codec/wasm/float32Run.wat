;; A run of JSON numbers ("0.57, -1.2e-3, 42") read into float32, bit for bit Math.fround(JSON.parse(token)).
;;
;; parse(p, out, max) reads from byte p, writes up to `max` float32 at `out`, and returns how many it wrote;
;; global $pos is then where it stopped: at a separator other than "," / ", " followed by a number (the caller
;; takes it from there), or at the start of a token it does not take (NaN/Infinity, more than 19 significant
;; digits, an exponent past ±44, a float32 it cannot decide without the exact decimal: the caller reads that one
;; token exactly and calls again). The sixteen bytes after the input must be 0: a 0 ends every token.
;;
;; The significand's first 19 digits are exact in an i64: sixteen at once after the point with SIMD, else eight
;; at a time (SWAR), and the last few from one word. The f64 approximation of the decimal is off by a few
;; roundings, and demoting it gives the nearest float32 unless it lies too close to a float32 rounding boundary
;; (demotion is monotonic), which the kernel checks.
(module
  (memory (export "memory") 1)
  (global $pos (export "pos") (mut i32) (i32.const 0))
  ;; 10^0 … 10^22, exact doubles, at byte 0.
  (data (i32.const 0)
    "\00\00\00\00\00\00\f0\3f" "\00\00\00\00\00\00\24\40" "\00\00\00\00\00\00\59\40" "\00\00\00\00\00\40\8f\40"
    "\00\00\00\00\00\88\c3\40" "\00\00\00\00\00\6a\f8\40" "\00\00\00\00\80\84\2e\41" "\00\00\00\00\d0\12\63\41"
    "\00\00\00\00\84\d7\97\41" "\00\00\00\00\65\cd\cd\41" "\00\00\00\20\5f\a0\02\42" "\00\00\00\e8\76\48\37\42"
    "\00\00\00\a2\94\1a\6d\42" "\00\00\40\e5\9c\30\a2\42" "\00\00\90\1e\c4\bc\d6\42" "\00\00\34\26\f5\6b\0c\43"
    "\00\80\e0\37\79\c3\41\43" "\00\a0\d8\85\57\34\76\43" "\00\c8\4e\67\6d\c1\ab\43" "\00\3d\91\60\e4\58\e1\43"
    "\40\8c\b5\78\1d\af\15\44" "\50\ef\e2\d6\e4\1a\4b\44" "\92\d5\4d\06\cf\f0\80\44")

  ;; 10^0 … 10^8 as i64, at byte 512.
  (data (i32.const 512) "\01\00\00\00\00\00\00\00\0a\00\00\00\00\00\00\00\64\00\00\00\00\00\00\00\e8\03\00\00\00\00\00\00\10\27\00\00\00\00\00\00\a0\86\01\00\00\00\00\00\40\42\0f\00\00\00\00\00\80\96\98\00\00\00\00\00\00\e1\f5\05\00\00\00\00")
  ;; 10^(19 - q) for q = 0 … 7, and 0 for q = 8, as i64 at byte 600: the bound on m before its last q digits.
  (data (i32.const 600) "\00\00\e8\89\04\23\c7\8a\00\00\64\a7\b3\b6\e0\0d\00\00\8a\5d\78\45\63\01\00\00\c1\6f\f2\86\23\00\00\80\c6\a4\7e\8d\03\00\00\40\7a\10\f3\5a\00\00\00\a0\72\4e\18\09\00\00\00\10\a5\d4\e8\00\00\00\00\00\00\00\00\00\00\00")

  (func $pow10 (param $k i32) (result f64)
    (f64.load (i32.shl (local.get $k) (i32.const 3))))
  ;; 10^-k rounded to the nearest double, k = 0 … 22, at byte 256 (written by the caller: see wasmFloat32Run.ts).
  (func $invPow10 (param $k i32) (result f64)
    (f64.load offset=256 (i32.shl (local.get $k) (i32.const 3))))

  (func (export "parse") (param $p i32) (param $out i32) (param $max i32) (result i32)
    (local $n i32) (local $start i32) (local $c i32) (local $neg i32) (local $m i64) (local $sig i32)
    (local $fracStart i32) (local $frac i32) (local $exp i32) (local $expNeg i32) (local $e10 i32)
    (local $v v128) (local $x f64) (local $f f32) (local $q i32) (local $w i64)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $n) (local.get $max)))
        (local.set $start (local.get $p))
        (local.set $m (i64.const 0))
        (local.set $sig (i32.const 0))
        (local.set $frac (i32.const 0))
        (local.set $exp (i32.const 0))
        ;; The sign and a one-digit integer part ("-0.", "7.") without a branch on either: the usual case.
        (local.set $q (i32.load (local.get $p)))
        (local.set $neg (i32.eq (i32.and (local.get $q) (i32.const 0xff)) (i32.const 45)))
        (local.set $q (i32.shr_u (local.get $q) (i32.shl (local.get $neg) (i32.const 3))))
        (local.set $c (i32.sub (i32.and (local.get $q) (i32.const 0xff)) (i32.const 48)))
        (if (i32.and (i32.eq (i32.and (local.get $q) (i32.const 0xff00)) (i32.const 0x2e00)) (i32.le_u (local.get $c) (i32.const 9)))
          (then
            (local.set $m (i64.extend_i32_u (local.get $c)))
            (local.set $sig (i32.ne (local.get $c) (i32.const 0)))
            (local.set $p (i32.add (i32.add (local.get $p) (local.get $neg)) (i32.const 1)))
            (local.set $c (i32.const 46)))
          (else
            (local.set $p (i32.add (local.get $p) (local.get $neg)))
            (local.set $c (i32.load8_u (local.get $p)))
            ;; Integer part: "0", or a non-zero digit and more digits.
            (if (i32.eq (local.get $c) (i32.const 48))
              (then
                (local.set $p (i32.add (local.get $p) (i32.const 1)))
                (local.set $c (i32.load8_u (local.get $p))))
              (else
                (br_if $done (i32.gt_u (i32.sub (local.get $c) (i32.const 49)) (i32.const 8)))
                (loop $int
                  (br_if $done (i32.eq (local.get $sig) (i32.const 19)))
                  (local.set $m (i64.add (i64.mul (local.get $m) (i64.const 10)) (i64.extend_i32_u (i32.sub (local.get $c) (i32.const 48)))))
                  (local.set $sig (i32.add (local.get $sig) (i32.const 1)))
                  (local.set $p (i32.add (local.get $p) (i32.const 1)))
                  (local.set $c (i32.load8_u (local.get $p)))
                  (br_if $int (i32.le_u (i32.sub (local.get $c) (i32.const 48)) (i32.const 9))))))))
        ;; Fraction.
        (if (i32.eq (local.get $c) (i32.const 46))
          (then
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (local.set $c (i32.load8_u (local.get $p)))
            (br_if $done (i32.gt_u (i32.sub (local.get $c) (i32.const 48)) (i32.const 9)))
            (local.set $fracStart (local.get $p))
            ;; Sixteen digits at once (SIMD), when there are sixteen and they fit in 19 with the integer part. Zeros
            ;; after the point count here as digits (m is the same); otherwise they are skipped as not significant.
            (block $simdEnd
              (if (i32.le_u (local.get $sig) (i32.const 3))
                (then
                  (local.set $v (i8x16.sub (v128.load (local.get $p)) (v128.const i8x16 48 48 48 48 48 48 48 48 48 48 48 48 48 48 48 48)))
                  ;; Digits are now 0 … 9; + 118 (saturating) sets the top bit of every other byte.
                  (if (i32.eqz (i8x16.bitmask (i8x16.add_sat_u (local.get $v) (v128.const i8x16 118 118 118 118 118 118 118 118 118 118 118 118 118 118 118 118))))
                    (then
                      ;; Pairs (first digit × 10 + second), then groups of four, then of eight.
                      (local.set $v (i16x8.add
                        (i16x8.mul (v128.and (local.get $v) (v128.const i16x8 255 255 255 255 255 255 255 255)) (v128.const i16x8 10 10 10 10 10 10 10 10))
                        (i16x8.shr_u (local.get $v) (i32.const 8))))
                      (local.set $v (i32x4.dot_i16x8_s (local.get $v) (v128.const i16x8 100 1 100 1 100 1 100 1)))
                      (local.set $v (i32x4.dot_i16x8_s (i16x8.narrow_i32x4_u (local.get $v) (local.get $v)) (v128.const i16x8 10000 1 10000 1 10000 1 10000 1)))
                      (local.set $m (i64.add
                        (i64.add
                          (i64.mul (local.get $m) (i64.const 10000000000000000))
                          (i64.mul (i64.extend_i32_u (i32x4.extract_lane 0 (local.get $v))) (i64.const 100000000)))
                        (i64.extend_i32_u (i32x4.extract_lane 1 (local.get $v)))))
                      (local.set $sig (i32.add (local.get $sig) (i32.const 16)))
                      (local.set $p (i32.add (local.get $p) (i32.const 16)))
                      (br $simdEnd)))))
              ;; Leading zeros of "0.000123" are not significant.
              (if (i32.eqz (local.get $sig))
                (then
                  (block $nz
                    (loop $zeros
                      (br_if $nz (i32.ne (local.get $c) (i32.const 48)))
                      (local.set $p (i32.add (local.get $p) (i32.const 1)))
                      (local.set $c (i32.load8_u (local.get $p)))
                      (br $zeros))))))
            ;; Eight digits at a time (SWAR in an i64, first digit in the low byte) while they fit in 19.
            (block $swarEnd
              (loop $eight
                (br_if $swarEnd (i32.gt_u (local.get $sig) (i32.const 11)))
                (local.set $w (i64.load (local.get $p)))
                (br_if $swarEnd (i64.ne
                  (i64.or
                    (i64.and (local.get $w) (i64.const 0xf0f0f0f0f0f0f0f0))
                    (i64.shr_u (i64.and (i64.add (local.get $w) (i64.const 0x0606060606060606)) (i64.const 0xf0f0f0f0f0f0f0f0)) (i64.const 4)))
                  (i64.const 0x3333333333333333)))
                (local.set $w (i64.sub (local.get $w) (i64.const 0x3030303030303030)))
                (local.set $w (i64.and (i64.add (i64.mul (local.get $w) (i64.const 10)) (i64.shr_u (local.get $w) (i64.const 8))) (i64.const 0x00ff00ff00ff00ff)))
                (local.set $w (i64.and (i64.add (i64.mul (local.get $w) (i64.const 100)) (i64.shr_u (local.get $w) (i64.const 16))) (i64.const 0x0000ffff0000ffff)))
                (local.set $w (i64.and (i64.add (i64.mul (local.get $w) (i64.const 10000)) (i64.shr_u (local.get $w) (i64.const 32))) (i64.const 0xffffffff)))
                (local.set $m (i64.add (i64.mul (local.get $m) (i64.const 100000000)) (local.get $w)))
                (local.set $sig (i32.add (local.get $sig) (i32.const 8)))
                (local.set $p (i32.add (local.get $p) (i32.const 8)))
                (br $eight)))
            ;; The last digits, fewer than eight here unless the significand is full: one word, its digits counted.
            (local.set $w (i64.xor (i64.load (local.get $p)) (i64.const 0x3030303030303030)))
            (local.set $q (i32.wrap_i64 (i64.shr_u (i64.ctz (i64.and
              (i64.or (local.get $w) (i64.add (local.get $w) (i64.const 0x0606060606060606)))
              (i64.const 0xf0f0f0f0f0f0f0f0))) (i64.const 3))))
            ;; At most 19 digits in m (zeros after the point that the SIMD step took do not count): m < 10^(19 - q).
            ;; Eight digits here means more may follow: that token is the caller's (its bound is 0).
            (br_if $done (i64.ge_u (local.get $m) (i64.load offset=600 (i32.shl (local.get $q) (i32.const 3)))))
            ;; Those q digits moved to the top bytes (two shifts: q = 0 shifts all out).
            (local.set $w (i64.shl (i64.shl (local.get $w) (i64.extend_i32_u (i32.sub (i32.const 32) (i32.shl (local.get $q) (i32.const 2)))))
              (i64.extend_i32_u (i32.sub (i32.const 32) (i32.shl (local.get $q) (i32.const 2))))))
            (local.set $w (i64.and (i64.add (i64.mul (local.get $w) (i64.const 10)) (i64.shr_u (local.get $w) (i64.const 8))) (i64.const 0x00ff00ff00ff00ff)))
            (local.set $w (i64.and (i64.add (i64.mul (local.get $w) (i64.const 100)) (i64.shr_u (local.get $w) (i64.const 16))) (i64.const 0x0000ffff0000ffff)))
            (local.set $w (i64.and (i64.add (i64.mul (local.get $w) (i64.const 10000)) (i64.shr_u (local.get $w) (i64.const 32))) (i64.const 0xffffffff)))
            (local.set $m (i64.add (i64.mul (local.get $m) (i64.load offset=512 (i32.shl (local.get $q) (i32.const 3)))) (local.get $w)))
            (local.set $sig (i32.add (local.get $sig) (local.get $q)))
            (local.set $p (i32.add (local.get $p) (local.get $q)))
            (local.set $c (i32.load8_u (local.get $p)))
            (local.set $frac (i32.sub (local.get $p) (local.get $fracStart)))))
        ;; Exponent.
        (if (i32.eq (i32.or (local.get $c) (i32.const 32)) (i32.const 101))
          (then
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (local.set $c (i32.load8_u (local.get $p)))
            (local.set $expNeg (i32.eq (local.get $c) (i32.const 45)))
            (if (i32.or (local.get $expNeg) (i32.eq (local.get $c) (i32.const 43)))
              (then
                (local.set $p (i32.add (local.get $p) (i32.const 1)))
                (local.set $c (i32.load8_u (local.get $p)))))
            (br_if $done (i32.gt_u (i32.sub (local.get $c) (i32.const 48)) (i32.const 9)))
            (loop $ed
              (if (i32.lt_u (local.get $exp) (i32.const 100000))
                (then (local.set $exp (i32.add (i32.mul (local.get $exp) (i32.const 10)) (i32.sub (local.get $c) (i32.const 48))))))
              (local.set $p (i32.add (local.get $p) (i32.const 1)))
              (local.set $c (i32.load8_u (local.get $p)))
              (br_if $ed (i32.le_u (i32.sub (local.get $c) (i32.const 48)) (i32.const 9))))
            (if (local.get $expNeg) (then (local.set $exp (i32.sub (i32.const 0) (local.get $exp)))))))
        (local.set $e10 (i32.sub (local.get $exp) (local.get $frac)))
        ;; To float32.
        (if (i32.le_u (i32.add (local.get $e10) (i32.const 22)) (i32.const 22))
          (then
            ;; -22 ≤ e10 ≤ 0, the usual case: one multiply by 10^e10 rounded, and the demotion is right unless x lies
            ;; within 16 ulps of a float32 rounding boundary (its low 29 bits near 0x10000000): at most three
            ;; roundings (m past 2^53, 10^e10, the product) put x within 3 ulps of the decimal. 1e-22 ≤ x < 1e19 here
            ;; (m = 0 gives 0, which passes), so float32 is neither subnormal nor overflowing.
            (local.set $x (f64.mul (f64.convert_i64_u (local.get $m)) (call $invPow10 (i32.sub (i32.const 0) (local.get $e10)))))
            (br_if $done (i64.le_u
              (i64.and (i64.add (i64.reinterpret_f64 (local.get $x)) (i64.const -0xffffff0)) (i64.const 0x1fffffff))
              (i64.const 32)))
            (local.set $f (f32.demote_f64 (local.get $x))))
          (else
            (if (i64.eqz (local.get $m))
              (then (local.set $f (f32.const 0)))
              (else
                (br_if $done (i32.gt_u (i32.add (local.get $e10) (i32.const 44)) (i32.const 88)))
                (local.set $x (f64.convert_i64_u (local.get $m)))
                (if (i32.lt_s (local.get $e10) (i32.const 0))
                  (then (local.set $x (f64.div (f64.div (local.get $x) (call $pow10 (i32.const 22))) (call $pow10 (i32.sub (i32.const -22) (local.get $e10))))))
                  (else
                    (if (i32.gt_s (local.get $e10) (i32.const 22))
                      (then (local.set $x (f64.mul (f64.mul (local.get $x) (call $pow10 (i32.const 22))) (call $pow10 (i32.sub (local.get $e10) (i32.const 22))))))
                      (else (local.set $x (f64.mul (local.get $x) (call $pow10 (local.get $e10))))))))
                ;; Otherwise x is off by at most four roundings: every double within 2^-49 of it must demote alike (1 ∓ 2^-49).
                (local.set $f (f32.demote_f64 (f64.mul (local.get $x) (f64.const 0x1.ffffffffffff8p-1))))
                (br_if $done (f32.ne (local.get $f) (f32.demote_f64 (f64.mul (local.get $x) (f64.const 0x1.0000000000004p+0)))))
                ;; Past float32's range the demotion gave ±Infinity: that token is the caller's (it may be too large for a double).
                (br_if $done (f32.eq (f32.abs (local.get $f)) (f32.const inf)))))))
        (i32.store (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 2)))
          (i32.xor (i32.reinterpret_f32 (local.get $f)) (i32.shl (local.get $neg) (i32.const 31))))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (local.set $start (local.get $p))
        ;; "," or ", " and then a number: go on; anything else is the caller's.
        (if (i32.eq (i32.load16_u (local.get $p)) (i32.const 0x202c))
          (then (local.set $q (i32.add (local.get $p) (i32.const 2))))
          (else
            (br_if $done (i32.ne (i32.load8_u (local.get $p)) (i32.const 44)))
            (local.set $q (i32.add (local.get $p) (i32.const 1)))))
        (local.set $c (i32.load8_u (local.get $q)))
        (br_if $done (i32.and (i32.ne (local.get $c) (i32.const 45)) (i32.gt_u (i32.sub (local.get $c) (i32.const 48)) (i32.const 9))))
        (local.set $p (local.get $q))
        (br $next)))
    (global.set $pos (local.get $start))
    (local.get $n)))
