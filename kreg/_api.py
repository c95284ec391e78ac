"""Registration of kreg's public classes with Keras serialization."""

import keras

#: Registers a class as serializable under the package ``kreg``, so that a saved
#: model that uses it loads with no ``custom_objects``.
register = keras.saving.register_keras_serializable(package="kreg")
