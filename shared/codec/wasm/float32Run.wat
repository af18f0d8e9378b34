;; A run of JSON numbers ("0.57, -1.2e-3, 42") read into float32, bit for bit Math.fround(JSON.parse(token)).
;;
;; parse(p, out, max) reads from byte p, writes up to `max` float32 at `out`, and returns how many it wrote;
;; global $pos is then where it stopped: at a separator other than "," / ", " followed by a number (the caller
;; takes it from there), or at the start of a token it does not take (NaN/Infinity, more than 19 significant
;; digits, an exponent past ±44, a float32 it cannot decide without the exact decimal: the caller reads that one
;; token exactly and calls again). The eight bytes after the input must be 0: a 0 ends every token.
;;
;; The significand's first 19 significant digits are exact in an i64. Up to 15 digits and |e10| ≤ 22, one
;; rounded f64 operation gives the nearest double (Clinger's fast path), and demoting it gives the float32.
;; Otherwise the f64 approximation is off by at most four roundings; when every double within 2^-49 of it
;; demotes to the same float32, so does the nearest double to the decimal (demotion is monotonic).
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

  (func $pow10 (param $k i32) (result f64)
    (f64.load (i32.shl (local.get $k) (i32.const 3))))
  ;; 10^-k rounded to the nearest double, k = 0 … 22, at byte 256 (written by the caller: see wasmFloat32Run.ts).
  (func $invPow10 (param $k i32) (result f64)
    (f64.load offset=256 (i32.shl (local.get $k) (i32.const 3))))

  (func (export "parse") (param $p i32) (param $out i32) (param $max i32) (result i32)
    (local $n i32) (local $start i32) (local $c i32) (local $neg i32) (local $m i64) (local $sig i32)
    (local $fracStart i32) (local $frac i32) (local $exp i32) (local $expNeg i32) (local $e10 i32)
    (local $x f64) (local $f f32) (local $q i32) (local $w i64)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $n) (local.get $max)))
        (local.set $start (local.get $p))
        (local.set $c (i32.load8_u (local.get $p)))
        (local.set $neg (i32.const 0))
        (if (i32.eq (local.get $c) (i32.const 45))
          (then
            (local.set $neg (i32.const 1))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (local.set $c (i32.load8_u (local.get $p)))))
        (local.set $m (i64.const 0))
        (local.set $sig (i32.const 0))
        (local.set $frac (i32.const 0))
        (local.set $exp (i32.const 0))
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
              (br_if $int (i32.le_u (i32.sub (local.get $c) (i32.const 48)) (i32.const 9))))))
        ;; Fraction.
        (if (i32.eq (local.get $c) (i32.const 46))
          (then
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (local.set $c (i32.load8_u (local.get $p)))
            (br_if $done (i32.gt_u (i32.sub (local.get $c) (i32.const 48)) (i32.const 9)))
            (local.set $fracStart (local.get $p))
            ;; Leading zeros of "0.000123" are not significant.
            (if (i32.eqz (local.get $sig))
              (then
                (block $nz
                  (loop $zeros
                    (br_if $nz (i32.ne (local.get $c) (i32.const 48)))
                    (local.set $p (i32.add (local.get $p) (i32.const 1)))
                    (local.set $c (i32.load8_u (local.get $p)))
                    (br $zeros)))))
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
            (local.set $c (i32.load8_u (local.get $p)))
            (block $fracEnd
              (loop $fd
                (br_if $fracEnd (i32.gt_u (i32.sub (local.get $c) (i32.const 48)) (i32.const 9)))
                (br_if $done (i32.eq (local.get $sig) (i32.const 19)))
                (local.set $m (i64.add (i64.mul (local.get $m) (i64.const 10)) (i64.extend_i32_u (i32.sub (local.get $c) (i32.const 48)))))
                (local.set $sig (i32.add (local.get $sig) (i32.const 1)))
                (local.set $p (i32.add (local.get $p) (i32.const 1)))
                (local.set $c (i32.load8_u (local.get $p)))
                (br $fd)))
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
        (if (i64.eqz (local.get $m))
          (then (local.set $f (f32.const 0)))
          (else
            (if (i32.and (i32.le_u (local.get $sig) (i32.const 15)) (i32.le_u (i32.add (local.get $e10) (i32.const 22)) (i32.const 44)))
              (then
                (local.set $x (f64.convert_i64_u (local.get $m)))
                (local.set $x
                  (if (result f64) (i32.lt_s (local.get $e10) (i32.const 0))
                    (then (f64.div (local.get $x) (call $pow10 (i32.sub (i32.const 0) (local.get $e10)))))
                    (else (f64.mul (local.get $x) (call $pow10 (local.get $e10))))))
                (local.set $f (f32.demote_f64 (local.get $x))))
              (else
                (br_if $done (i32.gt_u (i32.add (local.get $e10) (i32.const 44)) (i32.const 88)))
                (local.set $x (f64.convert_i64_u (local.get $m)))
                (if (i32.lt_s (local.get $e10) (i32.const 0))
                  (then
                    (if (i32.lt_s (local.get $e10) (i32.const -22))
                      (then (local.set $x (f64.div (f64.div (local.get $x) (call $pow10 (i32.const 22))) (call $pow10 (i32.sub (i32.const -22) (local.get $e10))))))
                      ;; A multiply by the rounded 10^-k instead of a divide: one more rounding, well inside the window.
                      (else (local.set $x (f64.mul (local.get $x) (call $invPow10 (i32.sub (i32.const 0) (local.get $e10))))))))
                  (else
                    (if (i32.gt_s (local.get $e10) (i32.const 22))
                      (then (local.set $x (f64.mul (f64.mul (local.get $x) (call $pow10 (i32.const 22))) (call $pow10 (i32.sub (local.get $e10) (i32.const 22))))))
                      (else (local.set $x (f64.mul (local.get $x) (call $pow10 (local.get $e10))))))))
                ;; 1 ∓ 2^-49
                (local.set $f (f32.demote_f64 (f64.mul (local.get $x) (f64.const 0x1.ffffffffffff8p-1))))
                (br_if $done (f32.ne (local.get $f) (f32.demote_f64 (f64.mul (local.get $x) (f64.const 0x1.0000000000004p+0)))))))))
        ;; Past float32's range the demotion gave ±Infinity: that token is the caller's (it may be too large for a double).
        (br_if $done (f32.eq (f32.abs (local.get $f)) (f32.const inf)))
        (if (local.get $neg) (then (local.set $f (f32.neg (local.get $f)))))
        (f32.store (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 2))) (local.get $f))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (local.set $start (local.get $p))
        ;; "," or ", " and then a number: go on; anything else is the caller's.
        (br_if $done (i32.ne (i32.load8_u (local.get $p)) (i32.const 44)))
        (local.set $q (i32.add (local.get $p) (i32.const 1)))
        (if (i32.eq (i32.load8_u (local.get $q)) (i32.const 32)) (then (local.set $q (i32.add (local.get $q) (i32.const 1)))))
        (local.set $c (i32.load8_u (local.get $q)))
        (br_if $done (i32.and (i32.ne (local.get $c) (i32.const 45)) (i32.gt_u (i32.sub (local.get $c) (i32.const 48)) (i32.const 9))))
        (local.set $p (local.get $q))
        (br $next)))
    (global.set $pos (local.get $start))
    (local.get $n)))
