;; A run of JSON number tokens ("0.57, -1.2e-3, 42") counted and checked against JSON's number grammar, without
;; converting them: the gateway's streaming check of a data array (jsonRequestScanner.ts, numberRun).
;;
;; run(p, last, n) reads from byte p while p < last (the chunk's last comma: every token that starts before it ends
;; by it), token by token, each followed by "," or ", ". It returns how many tokens it took; global $pos is then
;; where it stopped: after a token not followed by a comma ($after = 1), after a comma and its space ($after = 0),
;; or at the start of a token that is not a number ($after = 0; the caller reads that one). n is the end of the input,
;; and the 16 bytes after it must be 0. The digits after the point go sixteen at a time (SIMD) where there are
;; sixteen, else eight at a time (SWAR in an i64), as do those of a long integer part.
(module
  (memory (export "memory") 1)
  (global $pos (export "pos") (mut i32) (i32.const 0))
  (global $after (export "after") (mut i32) (i32.const 0))

  (func (export "run") (param $p i32) (param $last i32) (param $n i32) (result i32)
    (local $count i32) (local $start i32) (local $c i32) (local $after i32) (local $w i64) (local $q i32) (local $neg i32)
    (local $k48 v128) (local $k118 v128)
    (local.set $k48 (v128.const i8x16 48 48 48 48 48 48 48 48 48 48 48 48 48 48 48 48))
    ;; Digits minus 48 are 0 … 9; + 118 (saturating) sets the top bit of every other byte.
    (local.set $k118 (v128.const i8x16 118 118 118 118 118 118 118 118 118 118 118 118 118 118 118 118))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $p) (local.get $last)))
        (local.set $start (local.get $p))
        ;; The sign and a one-digit integer part ("-0.", "7.") without a branch on either: the usual case.
        (local.set $q (i32.load (local.get $p)))
        (local.set $neg (i32.eq (i32.and (local.get $q) (i32.const 0xff)) (i32.const 45)))
        (local.set $q (i32.shr_u (local.get $q) (i32.shl (local.get $neg) (i32.const 3))))
        (if (i32.and (i32.eq (i32.and (local.get $q) (i32.const 0xff00)) (i32.const 0x2e00))
                     (i32.le_u (i32.sub (i32.and (local.get $q) (i32.const 0xff)) (i32.const 48)) (i32.const 9)))
          (then
            (local.set $p (i32.add (i32.add (local.get $p) (local.get $neg)) (i32.const 1)))
            (local.set $c (i32.const 46)))
          (else
            (local.set $c (i32.load8_u (local.get $p)))
            (if (i32.eq (local.get $c) (i32.const 45))
              (then
                (local.set $p (i32.add (local.get $p) (i32.const 1)))
                (local.set $c (i32.load8_u (local.get $p)))))
            ;; Integer part: "0", or a non-zero digit and more digits.
            (if (i32.eq (local.get $c) (i32.const 48))
              (then
                (local.set $p (i32.add (local.get $p) (i32.const 1)))
                (local.set $c (i32.load8_u (local.get $p))))
              (else
                (if (i32.gt_u (i32.sub (local.get $c) (i32.const 49)) (i32.const 8))
                  (then (local.set $p (local.get $start)) (br $done)))
                (local.set $p (i32.add (local.get $p) (i32.const 1)))
                (block $intEnd
                  (loop $int8
                    (local.set $w (i64.load (local.get $p)))
                    (br_if $intEnd (i64.ne
                      (i64.or
                        (i64.and (local.get $w) (i64.const 0xf0f0f0f0f0f0f0f0))
                        (i64.shr_u (i64.and (i64.add (local.get $w) (i64.const 0x0606060606060606)) (i64.const 0xf0f0f0f0f0f0f0f0)) (i64.const 4)))
                      (i64.const 0x3333333333333333)))
                    (local.set $p (i32.add (local.get $p) (i32.const 8)))
                    (br $int8)))
                (local.set $c (i32.load8_u (local.get $p)))
                (block $intDone
                  (loop $int1
                    (br_if $intDone (i32.gt_u (i32.sub (local.get $c) (i32.const 48)) (i32.const 9)))
                    (local.set $p (i32.add (local.get $p) (i32.const 1)))
                    (local.set $c (i32.load8_u (local.get $p)))
                    (br $int1)))))))
        ;; Fraction: a dot and at least one digit.
        (if (i32.eq (local.get $c) (i32.const 46))
          (then
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (if (i32.gt_u (i32.sub (i32.load8_u (local.get $p)) (i32.const 48)) (i32.const 9))
              (then (local.set $p (local.get $start)) (br $done)))
            ;; Sixteen digits at once (SIMD) when there are sixteen; else eight at a time (SWAR).
            (if (i32.eqz (i8x16.bitmask (i8x16.add_sat_u (i8x16.sub (v128.load (local.get $p)) (local.get $k48)) (local.get $k118))))
              (then (local.set $p (i32.add (local.get $p) (i32.const 16))))
              (else
                (block $fracEnd
                  (loop $frac8
                    (local.set $w (i64.load (local.get $p)))
                    (br_if $fracEnd (i64.ne
                      (i64.or
                        (i64.and (local.get $w) (i64.const 0xf0f0f0f0f0f0f0f0))
                        (i64.shr_u (i64.and (i64.add (local.get $w) (i64.const 0x0606060606060606)) (i64.const 0xf0f0f0f0f0f0f0f0)) (i64.const 4)))
                      (i64.const 0x3333333333333333)))
                    (local.set $p (i32.add (local.get $p) (i32.const 8)))
                    (br $frac8)))))
            (local.set $c (i32.load8_u (local.get $p)))
            (block $fracDone
              (loop $frac1
                (br_if $fracDone (i32.gt_u (i32.sub (local.get $c) (i32.const 48)) (i32.const 9)))
                (local.set $p (i32.add (local.get $p) (i32.const 1)))
                (local.set $c (i32.load8_u (local.get $p)))
                (br $frac1)))))
        ;; Exponent: e or E, a sign or none, at least one digit.
        (if (i32.eq (i32.or (local.get $c) (i32.const 32)) (i32.const 101))
          (then
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (local.set $c (i32.load8_u (local.get $p)))
            (if (i32.or (i32.eq (local.get $c) (i32.const 43)) (i32.eq (local.get $c) (i32.const 45)))
              (then
                (local.set $p (i32.add (local.get $p) (i32.const 1)))
                (local.set $c (i32.load8_u (local.get $p)))))
            (if (i32.gt_u (i32.sub (local.get $c) (i32.const 48)) (i32.const 9))
              (then (local.set $p (local.get $start)) (br $done)))
            (block $expDone
              (loop $exp1
                (br_if $expDone (i32.gt_u (i32.sub (local.get $c) (i32.const 48)) (i32.const 9)))
                (local.set $p (i32.add (local.get $p) (i32.const 1)))
                (local.set $c (i32.load8_u (local.get $p)))
                (br $exp1)))))
        (local.set $count (i32.add (local.get $count) (i32.const 1)))
        (local.set $after (i32.const 1))
        (br_if $done (i32.ne (local.get $c) (i32.const 44)))
        (local.set $after (i32.const 0))
        ;; The comma may be the input's last byte.
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (if (i32.and (i32.lt_u (local.get $p) (local.get $n)) (i32.eq (i32.load8_u (local.get $p)) (i32.const 32)))
          (then (local.set $p (i32.add (local.get $p) (i32.const 1)))))
        (br $next)))
    (global.set $pos (local.get $p))
    (global.set $after (local.get $after))
    (local.get $count)))
