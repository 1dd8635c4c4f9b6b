/// Namespace for the generated compact model texts (see scripts/gen_models.py).
package enum ModelData {}
