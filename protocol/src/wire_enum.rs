//! `wire_enum!`: an enum whose variants travel as fixed strings, with `ALL`, `as_str`, `parse`, and serde
//! impls that read and write those strings (an unknown string is refused by name).

/// Declares `pub enum $name` with each variant's wire string; see the module docs.
#[macro_export]
macro_rules! wire_enum {
    ($(#[doc = $enum_doc:literal])* $name:ident { $($(#[doc = $doc:literal])* $variant:ident = $wire:literal,)* }) => {
        $(#[doc = $enum_doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        pub enum $name {
            $($(#[doc = $doc])* $variant,)*
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$(Self::$variant,)*];

            /// The value as it appears on the wire.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $wire,)*
                }
            }

            /// The value with this wire name.
            pub fn parse(wire: &str) -> Option<Self> {
                match wire {
                    $($wire => Some(Self::$variant),)*
                    _ => None,
                }
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let wire = <String as serde::Deserialize>::deserialize(deserializer)?;
                Self::parse(&wire).ok_or_else(|| serde::de::Error::custom(format!("unknown {} {wire}", stringify!($name))))
            }
        }
    };
}
