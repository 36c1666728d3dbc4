from .feature_maps import (difference_map, load_distiller, point_features, point_pictures, show_features,
                           spatial_map)

__all__ = ['difference_map', 'load_distiller', 'point_features', 'point_pictures', 'show_features', 'spatial_map']
