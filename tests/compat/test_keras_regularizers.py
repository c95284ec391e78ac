# Copied from Keras 3.15.1, keras/src/regularizers/regularizers_test.py
# (https://github.com/keras-team/keras), licensed under the Apache License,
# Version 2.0 (http://www.apache.org/licenses/LICENSE-2.0); Copyright The Keras
# Authors. The original file carries no header of its own.
#
# kreg.regularizers.L1 and L2 are drop-ins for Keras' (same formula, same
# factor): this is Keras' own test of L1 and L2 run against them. Changes,
# kept to the minimum:
# - `regularizers.L1`/`L2` are kreg's classes; `backend` is the public
#   `keras` API instead of `keras.src.backend`;
# - `testing.TestCase` (private) is `unittest.TestCase` with an
#   `assertAllClose` of Keras' default tolerance;
# - only the tests of L1 and L2 are kept (L1L2, OrthogonalRegularizer and
#   `validate_float_arg` are Keras' own), and `test_config` is left out: kreg's
#   serialization tests cover it (tests/regularizers/test_serialization.py).

import types
import unittest

import keras
import numpy as np

import kreg

backend = types.SimpleNamespace(
    Variable=keras.Variable, convert_to_numpy=keras.ops.convert_to_numpy
)
regularizers = types.SimpleNamespace(L1=kreg.regularizers.L1, L2=kreg.regularizers.L2)


class TestCase(unittest.TestCase):
    def assertAllClose(self, x1, x2, atol=1e-6, rtol=1e-6):
        np.testing.assert_allclose(
            keras.ops.convert_to_numpy(x1), x2, atol=atol, rtol=rtol
        )


class RegularizersTest(TestCase):
    def test_l1(self):
        value = np.random.random((4, 4)).astype(np.float32)
        x = backend.Variable(value)
        y = regularizers.L1(0.1)(x)
        self.assertAllClose(y, 0.1 * np.sum(np.abs(value)))

    def test_l2(self):
        value = np.random.random((4, 4)).astype(np.float32)
        x = backend.Variable(value)
        y = regularizers.L2(0.1)(x)
        self.assertAllClose(y, 0.1 * np.sum(np.square(value)))

    def test_l1_with_zero_weights(self):
        value = np.zeros((4, 4), dtype=np.float32)
        x = backend.Variable(value)
        y = regularizers.L1(0.1)(x)
        self.assertAllClose(y, 0.0)

    def test_l1_with_negative_weights(self):
        pos_value = np.ones((4, 4), dtype=np.float32)
        neg_value = -np.ones((4, 4), dtype=np.float32)
        x_pos = backend.Variable(pos_value)
        x_neg = backend.Variable(neg_value)
        y_pos = regularizers.L1(0.1)(x_pos)
        y_neg = regularizers.L1(0.1)(x_neg)
        self.assertAllClose(y_pos, y_neg)

    def test_l1_zero_coefficient(self):
        value = np.random.random((4, 4)).astype(np.float32)
        x = backend.Variable(value)
        y = regularizers.L1(0.0)(x)
        self.assertAllClose(y, 0.0)

    def test_l2_with_zero_weights(self):
        value = np.zeros((4, 4), dtype=np.float32)
        x = backend.Variable(value)
        y = regularizers.L2(0.1)(x)
        self.assertAllClose(y, 0.0)

    def test_l2_zero_coefficient(self):
        value = np.random.random((4, 4)).astype(np.float32)
        x = backend.Variable(value)
        y = regularizers.L2(0.0)(x)
        self.assertAllClose(y, 0.0)

    def test_l2_is_larger_than_l1_for_large_weights(self):
        value = np.ones((4, 4), dtype=np.float32) * 10.0
        x = backend.Variable(value)
        l1_val = float(backend.convert_to_numpy(regularizers.L1(1.0)(x)))
        l2_val = float(backend.convert_to_numpy(regularizers.L2(1.0)(x)))
        self.assertGreater(l2_val, l1_val)

    def test_l2_is_smaller_than_l1_for_small_weights(self):
        value = np.ones((4, 4), dtype=np.float32) * 0.1
        x = backend.Variable(value)
        l1_val = float(backend.convert_to_numpy(regularizers.L1(1.0)(x)))
        l2_val = float(backend.convert_to_numpy(regularizers.L2(1.0)(x)))
        self.assertLess(l2_val, l1_val)
